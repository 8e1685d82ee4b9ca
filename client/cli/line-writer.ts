/**
 * Writes lines to a file, or to stdout for `-`, waiting for the stream to drain when its buffer is
 * full so that a fast producer never piles up lines in memory.
 */
import { once } from 'node:events';
import { type WriteStream, createWriteStream } from 'node:fs';
import { CliError } from './cli-context.js';

export class LineWriter {
  readonly path: string;
  readonly #out: NodeJS.WritableStream;
  readonly #file: WriteStream | undefined;
  #failure: Error | undefined;

  private constructor(path: string, out: NodeJS.WritableStream, file: WriteStream | undefined) {
    this.path = path;
    this.#out = out;
    this.#file = file;
  }

  /** Opens `path` for writing (truncating it), or stdout for `-`; fails now if it cannot be created. */
  static async open(path: string): Promise<LineWriter> {
    if (path === '-') return new LineWriter(path, process.stdout, undefined);
    const file = createWriteStream(path);
    try {
      await once(file, 'open');
    } catch (err: unknown) {
      throw new CliError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const writer = new LineWriter(path, file, file);
    file.on('error', (err) => (writer.#failure = err));
    return writer;
  }

  get toStdout(): boolean {
    return this.#file === undefined;
  }

  async write(line: string): Promise<void> {
    if (this.#failure !== undefined) throw new CliError(`cannot write ${this.path}: ${(this.#failure as NodeJS.ErrnoException).code ?? this.#failure.message}`);
    if (!this.#out.write(`${line}\n`)) await once(this.#out, 'drain');
  }

  /** Flushes and closes the file; stdout stays open. */
  async close(): Promise<void> {
    if (this.#file === undefined || this.#file.closed) return;
    await new Promise<void>((resolve) => this.#file?.end(resolve));
  }
}
