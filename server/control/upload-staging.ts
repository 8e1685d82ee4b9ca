/**
 * The staging folder of one model upload: `<repository>/.staging-<random>/`, inside the
 * repository so that moving it into place is one rename on the same filesystem, and a dot-folder
 * so that the repository (and its poller) never takes it for a model.
 *
 * Chunks are written as they arrive, each awaited before the next is read (the caller's reading
 * is the backpressure), and hashed on the way; nothing holds a whole file in memory. Each file is
 * checked against its declared size and SHA-256 as soon as its last byte is written.
 */
import { type Hash, createHash, randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../errors.js';
import type { PushedFile } from './check-push-header.js';

/** Prefix of staging folders in the repository. */
export const STAGING_PREFIX = '.staging-';

/** The file being written. */
interface OpenFile {
  readonly index: number;
  readonly handle: FileHandle;
  readonly hash: Hash;
}

export class UploadStaging {
  /** The staging folder. */
  readonly dir: string;
  readonly #files: readonly PushedFile[];
  readonly #maxBytes: number;
  /** Bytes written to each file. */
  readonly #written: number[];
  /** Index of the file chunks go to now. */
  #current = 0;
  #open: OpenFile | undefined;
  #received = 0;
  #discarded = false;

  private constructor(dir: string, files: readonly PushedFile[], maxBytes: number) {
    this.dir = dir;
    this.#files = files;
    this.#maxBytes = maxBytes;
    this.#written = files.map(() => 0);
  }

  /** Creates an empty staging folder in `repositoryDir` for `files`, which may bring at most `maxBytes`. */
  static async create(repositoryDir: string, files: readonly PushedFile[], maxBytes: number): Promise<UploadStaging> {
    const dir = join(repositoryDir, `${STAGING_PREFIX}${randomBytes(8).toString('hex')}`);
    await mkdir(dir);
    return new UploadStaging(dir, files, maxBytes);
  }

  /** Bytes received so far, all files together. */
  get received(): number {
    return this.#received;
  }

  /**
   * Writes one chunk of file `index`. Files come in order: a chunk may move on to a later file
   * only once every file before it has all its bytes (INVALID_INPUT otherwise, or when a file
   * gets more bytes than declared); a file that is complete must match its digest
   * (DIGEST_MISMATCH).
   */
  async write(index: number, data: Uint8Array): Promise<void> {
    // Implied by the per-file sizes, whose sum the header check bounds; kept so that the limit
    // never rests on that reasoning alone.
    if (this.#received + data.length > this.#maxBytes) {
      throw new SluiceError('LIMIT_EXCEEDED', `the upload passed the server's limit of ${this.#maxBytes} bytes (--max-model-bytes)`);
    }
    if (index !== this.#current) await this.#moveTo(index);
    const file = this.#fileAt(index);
    if (this.#written[index] + data.length > file.size) {
      throw new SluiceError('INVALID_INPUT', `PushModel: file ${JSON.stringify(file.name)} got more than the ${file.size} bytes its header declares`);
    }
    if (data.length === 0) return;
    const open = this.#open ?? (await this.#openFile(index));
    open.hash.update(data);
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await open.handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
    this.#written[index] += data.length;
    this.#received += data.length;
    if (this.#written[index] === file.size) await this.#close();
  }

  /**
   * After the last chunk: every file must have all its bytes. A stream that ends short is
   * INVALID_INPUT, not DATA_LOSS: the client half-closed the call without sending what its own
   * header declared, which breaks the protocol; nothing that arrived was corrupted (DATA_LOSS is
   * kept for bytes that arrived and do not match their digest).
   */
  async finish(): Promise<void> {
    const last = this.#files.length - 1;
    if (last < 0) return;
    await this.#moveTo(last);
    const file = this.#fileAt(last);
    if (this.#written[last] !== file.size) throw this.#truncated(last);
    // A file of no bytes gets no chunk: it is created and checked here.
    if (file.size === 0) await this.#closeEmpty(last);
  }

  /** Removes the folder and everything in it. Idempotent. */
  async discard(): Promise<void> {
    if (this.#discarded) return;
    this.#discarded = true;
    await this.#open?.handle.close().catch(() => undefined);
    this.#open = undefined;
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Moves on to file `index`, past files that must then be complete (files of no bytes get none). */
  async #moveTo(index: number): Promise<void> {
    if (!Number.isInteger(index) || index < this.#current || index >= this.#files.length) {
      throw new SluiceError('INVALID_INPUT', `PushModel: a chunk names file ${index}, but file ${this.#current} is being sent (files come in order)`);
    }
    for (let i = this.#current; i < index; i++) {
      if (this.#written[i] !== this.#fileAt(i).size) throw this.#truncated(i, index);
      if (this.#fileAt(i).size === 0) await this.#closeEmpty(i);
    }
    this.#current = index;
  }

  #fileAt(index: number): PushedFile {
    const file = this.#files[index];
    if (file === undefined) throw new SluiceError('INVALID_INPUT', `PushModel: a chunk names file ${index}, but the header lists ${this.#files.length}`);
    return file;
  }

  async #openFile(index: number): Promise<OpenFile> {
    const handle = await open(join(this.dir, this.#fileAt(index).name), 'wx');
    this.#open = { index, handle, hash: createHash('sha256') };
    return this.#open;
  }

  /** Closes the file just completed and checks its digest. */
  async #close(): Promise<void> {
    const open = this.#open;
    if (open === undefined) return;
    this.#open = undefined;
    await open.handle.close();
    this.#checkDigest(open.index, open.hash.digest('hex'));
  }

  async #closeEmpty(index: number): Promise<void> {
    await this.#openFile(index);
    await this.#close();
  }

  #checkDigest(index: number, actual: string): void {
    const file = this.#fileAt(index);
    if (actual !== file.sha256) {
      throw new SluiceError('DIGEST_MISMATCH', `file ${JSON.stringify(file.name)} does not match its SHA-256: the header says ${file.sha256}, the bytes received hash to ${actual}`);
    }
  }

  #truncated(index: number, next?: number): SluiceError {
    const file = this.#fileAt(index);
    const when = next === undefined ? 'the stream ended' : `a chunk of file ${next} came`;
    return new SluiceError('INVALID_INPUT', `PushModel: ${when} when file ${JSON.stringify(file.name)} had ${this.#written[index]} of its ${file.size} bytes`);
  }
}
