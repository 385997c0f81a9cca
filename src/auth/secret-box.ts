import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const PREFIX = 'enc1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {}

/**
 * Secrets at rest (the token signing keys, AK/SK secrets): AES-256-GCM under a master key that lives outside
 * the database, stored as `enc1:<base64url(iv | tag | ciphertext)>`. A copy of the database alone yields none.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new SecretBoxError('the master key must be 32 bytes');
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64url');
  }

  open(sealed: string): string {
    if (!SecretBox.isSealed(sealed)) throw new SecretBoxError('the value is not sealed');
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('a stored secret cannot be decrypted with this master key (another --master-key-file?)');
    }
  }
}

/**
 * The master key: from `IMS_MASTER_KEY` (base64 of 32 bytes) when set, else from `file`, which is created
 * (32 random bytes, mode 0600) if it does not exist.
 */
export function loadMasterKey(file: string, fromEnv: string | undefined): Buffer {
  if (fromEnv !== undefined) {
    const key = Buffer.from(fromEnv, 'base64');
    if (key.length !== 32) throw new SecretBoxError('IMS_MASTER_KEY must be the base64 of 32 bytes');
    return key;
  }
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Written whole under another name, then linked into place: a link does not replace an existing file,
    // so of processes starting together one key wins and nobody reads a half-written one.
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    fs.writeFileSync(temp, randomBytes(32), { mode: 0o600 });
    try {
      fs.linkSync(temp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(temp, { force: true });
    }
  }
  const key = fs.readFileSync(file);
  if (key.length !== 32) throw new SecretBoxError(`the master key file ${file} must hold 32 bytes, not ${key.length}`);
  return key;
}
