import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import {
  canonicalHeaders, canonicalQueryFromParams, canonicalQueryFromRaw, canonicalRequest, canonicalUri, EMPTY_BODY_SHA256,
  formatSdkDate, parseAuthorization, parseSdkDate, type QueryParams, type ReceivedRequest, sha256Hex, sign, signature,
  stringToSign, uriEncode, verifySignature,
} from '../../src/auth/aksk.js';

/** test/fixtures/<name>, found from the repository root (this file runs from dist/test/unit). */
function fixture(name: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return fs.readFileSync(path.join(dir, 'test', 'fixtures', name), 'utf8');
}

interface Vector {
  method: string; path: string; query: QueryParams; wireQuery: string;
  creq: string; sts: string; authorization: string; body: string;
}
const V = JSON.parse(fixture('aksk-vectors.json')) as {
  AK: string; SK: string; DATE: string; PID: string; HOST: string; vectors: Record<'v1' | 'v2' | 'v3', Vector>;
};
const DATE = parseSdkDate(V.DATE)!;
const at = (offsetMs: number) => ({ now: new Date(DATE.getTime() + offsetMs) });
const secrets = (access: string) => (access === V.AK ? V.SK : undefined);

function signVector(v: Vector) {
  return sign({
    method: v.method, host: V.HOST, path: v.path, query: v.query, body: v.body, projectId: V.PID,
    ak: V.AK, sk: V.SK, date: DATE,
  });
}

/** The request a server receives for a signed vector: node's lower-case header names, the wire query. */
function received(v: Vector, overrides: Partial<ReceivedRequest> = {}): ReceivedRequest {
  const signed = signVector(v);
  const headers: Record<string, string> = {};
  for (const [k, val] of Object.entries(signed.headers)) headers[k.toLowerCase()] = val;
  headers.accept = 'application/json';
  headers['user-agent'] = 'huaweicloud-usdk-nodejs/3.0';
  return {
    method: v.method, url: v.wireQuery ? `${v.path}?${v.wireQuery}` : v.path, headers, body: Buffer.from(v.body),
    ...overrides,
  };
}

describe('AK/SK signer: test vectors computed as the SDK signers sign', () => {
  for (const name of ['v1', 'v2', 'v3'] as const) {
    const v = V.vectors[name];
    it(`${name}: canonical request, string to sign and Authorization match exactly`, () => {
      const s = signVector(v);
      assert.equal(s.canonicalRequest, v.creq);
      assert.equal(s.stringToSign, v.sts);
      assert.equal(s.authorization, v.authorization);
      assert.equal(s.query, v.wireQuery);
      assert.equal(s.sdkDate, V.DATE);
      assert.deepEqual(s.headers, {
        'content-type': 'application/json', 'X-Project-Id': V.PID, 'X-Sdk-Date': V.DATE, host: V.HOST,
        Authorization: v.authorization,
      });
    });

    it(`${name}: the building blocks give the same text`, () => {
      const headers = { 'content-type': 'application/json', host: V.HOST, 'x-project-id': V.PID, 'x-sdk-date': V.DATE };
      const creq = canonicalRequest({
        method: v.method, path: v.path, canonicalQuery: canonicalQueryFromRaw(v.wireQuery), headers,
        signedHeaders: ['content-type', 'host', 'x-project-id', 'x-sdk-date'],
        payloadHash: v.body === '' ? EMPTY_BODY_SHA256 : sha256Hex(v.body),
      });
      assert.equal(creq, v.creq);
      assert.equal(canonicalQueryFromParams(v.query), canonicalQueryFromRaw(v.wireQuery));
      assert.equal(stringToSign(V.DATE, creq), v.sts);
      assert.equal(signature(V.SK, v.sts), /Signature=([0-9a-f]{64})$/.exec(v.authorization)![1]);
    });

    it(`${name}: verifies as received by a server`, async () => {
      const result = await verifySignature(received(v), secrets, at(0));
      assert.deepEqual(result, {
        ok: true, access: V.AK, signedHeaders: ['content-type', 'host', 'x-project-id', 'x-sdk-date'], date: DATE,
        payloadSigned: true,
      });
    });
  }
});

describe('AK/SK encoding helpers', () => {
  it('encodes with the RFC 3986 unreserved set, UTF-8, upper-case hex', () => {
    assert.equal(uriEncode('aZ09-_.~'), 'aZ09-_.~');
    assert.equal(uriEncode("a b!'()*+/=%"), 'a%20b%21%27%28%29%2A%2B%2F%3D%25');
    assert.equal(uriEncode('é€😀'), '%C3%A9%E2%82%AC%F0%9F%98%80');
  });

  it('canonical URI appends a slash and encodes the raw segments', () => {
    assert.equal(canonicalUri('/v1/cloudimages/members'), '/v1/cloudimages/members/');
    assert.equal(canonicalUri('/v1/cloudimages/members/'), '/v1/cloudimages/members/');
    assert.equal(canonicalUri('/'), '/');
    assert.equal(canonicalUri(''), '/');
    assert.equal(canonicalUri('/a%20b/c d'), '/a%2520b/c%20d/');
  });

  it('re-canonicalises a wire query: decode, sort by name then value, re-encode', () => {
    assert.equal(canonicalQueryFromRaw(''), '');
    assert.equal(canonicalQueryFromRaw('b=2&a=x+y&b=1&&flag'), 'a=x%20y&b=1&b=2&flag=');
    assert.equal(canonicalQueryFromRaw('m=%zz%2'), 'm=%25zz%252');
    assert.equal(canonicalQueryFromRaw('k=a=b'), 'k=a%3Db');
    assert.equal(canonicalQueryFromParams({ b: [2, 10], a: true, skip: undefined, none: null }), 'a=true&b=10&b=2');
  });

  it('canonical headers: signed order, trimmed values, repeated values sorted', () => {
    assert.equal(canonicalHeaders(['host', 'x-a'], { host: ' h ', 'x-a': ['b', 'a'] }), 'host:h\nx-a:a\nx-a:b\n');
    assert.throws(() => canonicalHeaders(['host'], {}), /host/);
  });

  it('formats and parses X-Sdk-Date strictly', () => {
    assert.equal(formatSdkDate(new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678))), '20250102T030405Z');
    assert.equal(parseSdkDate('20250102T030405Z')?.toISOString(), '2025-01-02T03:04:05.000Z');
    for (const bad of ['20250230T000000Z', '20250102T030405', '2025-01-02T03:04:05Z', '20250102T246000Z', '']) {
      assert.equal(parseSdkDate(bad), undefined, bad);
    }
  });

  it('parses Authorization as the API gateway does', () => {
    assert.deepEqual(parseAuthorization(V.vectors.v1.authorization), {
      access: V.AK, signedHeaders: ['content-type', 'host', 'x-project-id', 'x-sdk-date'],
      signature: '2f0e20982dc938b188fc2cf445e9db39007711f1750d1550bdd08dec0a76b09c',
    });
    assert.deepEqual(parseAuthorization(`SDK-HMAC-SHA256 Access=AK,SignedHeaders=host;x-sdk-date,Signature=${'A'.repeat(64)}`),
      { access: 'AK', signedHeaders: ['host', 'x-sdk-date'], signature: 'a'.repeat(64) });
    const sig = 'a'.repeat(64);
    for (const bad of [
      '', `SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=${sig.slice(1)}`,
      `V11-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=${sig}`,
      `SDK-HMAC-SHA256 Access=AK, Signature=${sig}, SignedHeaders=host`,
      `SDK-HMAC-SHA256 Access=AK, SignedHeaders=Host;x-sdk-date, Signature=${sig}`,
      `SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;;x-sdk-date, Signature=${sig}`,
      `SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;host, Signature=${sig}`,
      `SDK-HMAC-SHA256 Access=${'A'.repeat(129)}, SignedHeaders=host, Signature=${sig}`,
      `Bearer ${sig}`,
    ]) {
      assert.equal(parseAuthorization(bad), undefined, bad);
    }
  });
});

describe('AK/SK signer: node SDK behaviour', () => {
  it('signs content-type on a GET and sends UNSIGNED-PAYLOAD when the type is not exactly application/json', () => {
    const json = sign({ method: 'GET', host: 'h', path: '/v2/cloudimages', ak: 'AK', sk: 'SK', date: DATE,
      contentType: 'application/json;charset=UTF-8' });
    assert.deepEqual(json.signedHeaders, ['content-type', 'host', 'x-sdk-date']);
    assert.equal(json.headers['content-type'], 'application/json');
    const octet = sign({ method: 'PUT', host: 'h:8443', path: '/x', ak: 'AK', sk: 'SK', date: DATE, body: 'raw bytes',
      contentType: 'application/octet-stream', securityToken: 'tok' });
    assert.deepEqual(octet.signedHeaders,
      ['content-type', 'host', 'x-sdk-content-sha256', 'x-sdk-date', 'x-security-token']);
    assert.equal(octet.headers['X-Sdk-Content-Sha256'], 'UNSIGNED-PAYLOAD');
    assert.equal(octet.headers['X-Security-Token'], 'tok');
    assert.match(octet.canonicalRequest, /\nUNSIGNED-PAYLOAD$/);
    assert.match(octet.canonicalRequest, /\nhost:h:8443\n/);
  });
});

describe('AK/SK verifier refuses', () => {
  const v1 = V.vectors.v1;
  const v3 = V.vectors.v3;
  const refused = async (req: ReceivedRequest, reason: string, detail: RegExp, lookup = secrets, offset = 0) => {
    const result = await verifySignature(req, lookup, at(offset));
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.reason, reason);
      assert.match(result.detail, detail);
    }
  };

  it('a tampered body', async () => {
    await refused(received(v1, { body: Buffer.from(v1.body.replace('edc89b49', 'edc89b48')) }),
      'verify aksk signature fail', /^signature mismatch$/);
    await refused(received(v1, { body: undefined }), 'verify aksk signature fail', /^signature mismatch$/);
  });

  it('a tampered query, path or method', async () => {
    await refused(received(v3, { url: `${v3.path}?${v3.wireQuery}&limit=1` }), 'verify aksk signature fail',
      /signature mismatch/);
    await refused(received(v3, { url: `${v3.path}?${v3.wireQuery.replace('accepted', 'pending')}` }),
      'verify aksk signature fail', /signature mismatch/);
    await refused(received(v1, { url: '/v1/cloudimages/memberz' }), 'verify aksk signature fail', /signature mismatch/);
    await refused(received(v1, { method: 'PUT' }), 'verify aksk signature fail', /signature mismatch/);
  });

  it('accepts the same query in another order or encoding', async () => {
    const shuffled = 'tag=y&name=a+b%28c%29%2a%21&visibility=shared&tag=z&member_status=accepted&__imagetype=shared';
    const result = await verifySignature(received(v3, { url: `${v3.path}?${shuffled}` }), secrets, at(0));
    assert.equal(result.ok, true);
  });

  it('a wrong secret and an unknown access key', async () => {
    await refused(received(v1), 'verify aksk signature fail', /signature mismatch/, () => `${V.SK}x`);
    await refused(received(v1), `ak ${V.AK} not exist`, /unknown access key/, () => undefined);
  });

  it('a missing or unsigned x-sdk-date', async () => {
    const noDate = received(v1);
    delete (noDate.headers as Record<string, string>)['x-sdk-date'];
    await refused(noDate, 'verify aksk signature fail', /no X-Sdk-Date header/);
    // Signed without x-sdk-date in the list: rejected even though the header is sent.
    const req = received(v1);
    const headers = req.headers as Record<string, string>;
    const creq = canonicalRequest({ method: 'POST', path: v1.path, canonicalQuery: '', headers,
      signedHeaders: ['content-type', 'host'], payloadHash: sha256Hex(v1.body) });
    headers.authorization = `SDK-HMAC-SHA256 Access=${V.AK}, SignedHeaders=content-type;host, Signature=${
      signature(V.SK, stringToSign(V.DATE, creq))}`;
    await refused(req, 'verify aksk signature fail', /x-sdk-date is not signed/);
    const malformed = received(v1);
    (malformed.headers as Record<string, string>)['x-sdk-date'] = '2025-01-01T00:00:00Z';
    await refused(malformed, 'verify aksk signature fail', /malformed X-Sdk-Date/);
  });

  it('a clock skew over 15 minutes in either direction, but not at exactly 15 minutes', async () => {
    const min = 60_000;
    await refused(received(v1), 'signature expired', /signature time 20250101T000000Z, server time 20250101T001501Z/,
      secrets, 15 * min + 1000);
    await refused(received(v1), 'signature expired', /server time 20241231T234459Z/, secrets, -(15 * min + 1000));
    assert.equal((await verifySignature(received(v1), secrets, at(15 * min))).ok, true);
    assert.equal((await verifySignature(received(v1), secrets, at(-15 * min))).ok, true);
  });

  it('a malformed or missing Authorization', async () => {
    const req = received(v1);
    const headers = req.headers as Record<string, string>;
    headers.authorization = headers.authorization!.replace('Signature=', 'Signature=0');
    await refused(req, 'verify aksk signature fail', /malformed Authorization header/);
    headers.authorization = headers.authorization.replace('SDK-HMAC-SHA256', 'SDK-HMAC-SHA1');
    await refused(req, 'verify aksk signature fail', /malformed Authorization header/);
    delete headers.authorization;
    await refused(req, 'x-auth-token not found', /no Authorization header/);
  });

  it('a signed header missing from the request', async () => {
    const req = received(v1);
    delete (req.headers as Record<string, string>)['x-project-id'];
    await refused(req, 'verify aksk signature fail', /signed header x-project-id is missing/);
  });

  it('a changed value of a signed header, while unsigned headers may change', async () => {
    const req = received(v1);
    (req.headers as Record<string, string>)['x-project-id'] = 'ffffffffffffffffffffffffffffffff';
    await refused(req, 'verify aksk signature fail', /signature mismatch/);
    const other = received(v1);
    (other.headers as Record<string, string>)['user-agent'] = 'curl/8';
    assert.equal((await verifySignature(other, secrets, at(0))).ok, true);
  });

  it('a declared payload hash that does not match the body; UNSIGNED-PAYLOAD is honoured when signed', async () => {
    const req = received(v1);
    (req.headers as Record<string, string>)['x-sdk-content-sha256'] = EMPTY_BODY_SHA256;
    await refused(req, 'verify aksk signature fail', /X-Sdk-Content-Sha256 does not match/);
    // Adding UNSIGNED-PAYLOAD to a request signed over its body changes the canonical request.
    const added = received(v1);
    (added.headers as Record<string, string>)['x-sdk-content-sha256'] = 'UNSIGNED-PAYLOAD';
    await refused(added, 'verify aksk signature fail', /signature mismatch/);

    const s = sign({ method: 'PUT', host: V.HOST, path: '/v2/images/x/file', body: 'data', ak: V.AK, sk: V.SK,
      date: DATE, contentType: 'application/octet-stream' });
    const headers: Record<string, string> = {};
    for (const [k, val] of Object.entries(s.headers)) headers[k.toLowerCase()] = val;
    const ok = await verifySignature({ method: 'PUT', url: '/v2/images/x/file', headers, body: 'other data' },
      secrets, at(0));
    assert.equal(ok.ok && ok.payloadSigned, false);
    assert.equal(ok.ok, true);
  });
});

describe('AK/SK verifier accepts the Go SDK header list', () => {
  it('SignedHeaders without content-type, application/json;charset=UTF-8 sent, trimmed values', async () => {
    const v1 = V.vectors.v1;
    const headers: Record<string, string> = {
      'content-type': 'application/json;charset=UTF-8', host: V.HOST, 'x-project-id': V.PID, 'x-sdk-date': V.DATE,
    };
    const signedHeaders = ['host', 'x-project-id', 'x-sdk-date'];
    const creq = canonicalRequest({ method: 'POST', path: v1.path, canonicalQuery: '', headers, signedHeaders,
      payloadHash: sha256Hex(v1.body) });
    assert.doesNotMatch(creq, /content-type/);
    headers.authorization = `SDK-HMAC-SHA256 Access=${V.AK}, SignedHeaders=${signedHeaders.join(';')}, Signature=${
      signature(V.SK, stringToSign(V.DATE, creq))}`;
    const req = { method: 'POST', url: v1.path, headers, body: Buffer.from(v1.body) };
    assert.deepEqual(await verifySignature(req, secrets, at(0)),
      { ok: true, access: V.AK, signedHeaders, date: DATE, payloadSigned: true });
    // content-type is not covered, so changing it does not matter; the project header is.
    assert.equal((await verifySignature({ ...req, headers: { ...headers, 'content-type': 'text/plain' } }, secrets,
      at(0))).ok, true);
  });
});
