import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenSigner } from '../../src/auth/token.js';
import { hashPassword, PasswordVerifier, verifyPassword } from '../../src/auth/password.js';
import { CacheSpace } from '../../src/cache/cache-space.js';

describe('TokenSigner', () => {
  const signer = new TokenSigner([{ key: Buffer.alloc(32, 7) }]);
  const claims = { userId: 'u1', projectId: 'p1', roles: ['member'], issuedAt: 1000, expiresAt: 2000 };

  it('round-trips claims until expiry', () => {
    const { token } = signer.issue(claims);
    const got = signer.verify(token, 1999);
    assert.deepEqual({ ...got, auditId: undefined }, { ...claims, auditId: undefined });
    assert.equal(got!.auditId.length, 22);
    assert.equal(signer.verify(token, 2000), undefined);
  });

  it('refuses tampered, foreign and malformed tokens', () => {
    const { token } = signer.issue(claims);
    const [prefix, body, sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify(['u1', 'p1', ['admin'], 1000, 2000, 'x'])).toString('base64url');
    assert.equal(signer.verify(`${prefix}.${forged}.${sig}`, 1500), undefined);
    assert.equal(new TokenSigner([{ key: Buffer.alloc(32, 8) }]).verify(token, 1500), undefined);
    for (const bad of ['', 'abc', `${prefix}.${body}`, `x.${body}.${sig}`, `${prefix}.${body}.${sig}x`]) {
      assert.equal(signer.verify(bad, 1500), undefined, bad);
    }
  });
});

describe('password hashing', () => {
  it('verifies the right password only', async () => {
    const hash = await hashPassword('s3cret');
    assert.match(hash, /^scrypt\$16384\$8\$1\$/);
    assert.equal(await verifyPassword('s3cret', hash), true);
    assert.equal(await verifyPassword('s3cret!', hash), false);
    assert.equal(await verifyPassword('s3cret', 'md5$x'), false);
  });
});

describe('PasswordVerifier', () => {
  it('remembers a verified password until its TTL, never a wrong one', async () => {
    const hash = await hashPassword('right');
    let checks = 0;
    let now = 0;
    const check = async (pw: string, stored: string) => { checks++; return verifyPassword(pw, stored); };
    const v = new PasswordVerifier(new CacheSpace(1 << 20), () => now, 1000, check);
    assert.equal(await v.verify('wrong', hash), false);
    assert.equal(await v.verify('right', hash), true);
    assert.equal(checks, 2);
    now = 500;
    assert.equal(await v.verify('right', hash), true);
    assert.equal(checks, 2, 'served from memory');
    assert.equal(await v.verify('wrong', hash), false);
    assert.equal(checks, 3, 'failures are always checked');
    assert.equal(await v.verify('right', await hashPassword('other')), false, 'keyed by the stored hash');
    now = 1500;
    assert.equal(await v.verify('right', hash), true);
    assert.equal(checks, 5, 'expired entries are checked again');
  });

});
