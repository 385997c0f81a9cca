import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What an upload measured on the way to disk. */
export interface StoredData {
  size: number;
  /** MD5 hex: Glance's `checksum`. */
  md5: string;
  /** SHA-512 hex: Glance's `os_hash_value` with `os_hash_algo` sha512. */
  sha512: string;
  /** The first bytes of the data, for format probing (qcow2 header). */
  head: Buffer;
}

const HEAD_BYTES = 512;

/** Temp files of uploads in progress: `.<image id>.<random>.tmp`. */
const TEMP_RE = /^\.[0-9A-Za-z-]+\.[0-9a-f]+\.tmp$/;

/** Image data files: `<dataDir>/images/<image id>`, written through a temp file and an atomic rename. */
export class ImageDataStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'images');
  }

  pathOf(id: string): string {
    if (!/^[0-9A-Za-z-]+$/.test(id)) throw new Error(`unsafe image id for a file name: ${id}`);
    return path.join(this.dir, id);
  }

  /** A new temp file name for an upload of the image (a name, not a path). */
  tempName(id: string): string {
    this.pathOf(id);
    return `.${id}.${randomBytes(6).toString('hex')}.tmp`;
  }

  /**
   * Streams `source` to the image's file through the temp file `tempName` while hashing it. On any failure
   * (client gone, disk full) the temp file is removed and nothing replaces existing data; on success the
   * file appears at once, complete.
   */
  async write(id: string, source: Readable, tempName: string): Promise<StoredData> {
    const final = this.pathOf(id);
    await fs.promises.mkdir(this.dir, { recursive: true });
    const temp = this.tempPath(tempName);
    const md5 = createHash('md5');
    const sha512 = createHash('sha512');
    const head: Buffer[] = [];
    let size = 0;
    let headSize = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        md5.update(chunk);
        sha512.update(chunk);
        size += chunk.length;
        if (headSize < HEAD_BYTES) {
          const part = chunk.subarray(0, HEAD_BYTES - headSize);
          head.push(part);
          headSize += part.length;
        }
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, measure, fs.createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
      await fs.promises.rename(temp, final);
    } catch (err) {
      await fs.promises.rm(temp, { force: true });
      throw err;
    }
    return { size, md5: md5.digest('hex'), sha512: sha512.digest('hex'), head: Buffer.concat(head) };
  }

  /** A read stream of the image's data and its size, or undefined when there is no file. */
  async open(id: string): Promise<{ stream: Readable; size: number } | undefined> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(this.pathOf(id), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const { size } = await handle.stat();
    return { stream: handle.createReadStream(), size };
  }

  /** Removes the image's data, and the temp file of an upload of it, if given. */
  async remove(id: string, tempName?: string): Promise<void> {
    await fs.promises.rm(this.pathOf(id), { force: true });
    if (tempName !== undefined) await this.removeTemp(tempName);
  }

  async removeTemp(tempName: string): Promise<void> {
    await fs.promises.rm(this.tempPath(tempName), { force: true });
  }

  /**
   * Removes temp files left by uploads that died: every one not in `keep` and untouched for `idleMs` (an
   * upload that started after `keep` was read is still being written). Returns how many went.
   */
  async sweepTemps(keep: ReadonlySet<string>, idleMs: number): Promise<number> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    const before = Date.now() - idleMs;
    let removed = 0;
    for (const name of names.filter((n) => TEMP_RE.test(n) && !keep.has(n))) {
      const stat = await fs.promises.stat(this.tempPath(name)).catch(() => undefined);
      if (stat && stat.mtimeMs < before) {
        await this.removeTemp(name);
        removed++;
      }
    }
    return removed;
  }

  private tempPath(tempName: string): string {
    if (!TEMP_RE.test(tempName)) throw new Error(`not an upload temp file name: ${tempName}`);
    return path.join(this.dir, tempName);
  }
}
