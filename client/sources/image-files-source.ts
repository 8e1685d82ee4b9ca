/**
 * Image files as a sequence of frames: every image under a folder (recursively), or the files a
 * glob pattern matches, in natural order (`frame2.png` before `frame10.png`).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Frame, FrameSource, FramesOptions } from './frame.js';
import { sniffEncoding } from './frame.js';
import { globToRegExp, isGlob, splitGlob } from './glob-pattern.js';
import { SourceError } from './source-error.js';

/** Extensions read from folders; JPEG, PNG and WebP go as they are, the others are converted. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif']);

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

export class ImageFilesSource implements FrameSource {
  readonly description: string;
  readonly live = false;
  readonly fps = undefined;
  /** The files, in order. */
  readonly paths: readonly string[];
  /** The folder walked: the folder given, or the part of a glob before its first wildcard. */
  readonly root: string;

  private constructor(description: string, root: string, paths: readonly string[]) {
    this.description = description;
    this.root = root;
    this.paths = paths;
  }

  /** Lists the images of a folder or a glob pattern; fails when there are none. */
  static async open(spec: string): Promise<ImageFilesSource> {
    if (isGlob(spec)) {
      const { base, relative: pattern } = splitGlob(spec);
      const matcher = globToRegExp(pattern);
      const deep = pattern.includes('/') || pattern.includes('**');
      const all = await listFiles(base, deep, spec);
      const paths = all.filter((path) => matcher.test(relative(base, path).split('\\').join('/')));
      if (paths.length === 0) throw new SourceError('SOURCE_NOT_FOUND', `no file matches ${spec}`);
      return new ImageFilesSource(spec, base, sortNatural(paths));
    }
    const info = await stat(spec).catch((err: unknown) => {
      throw new SourceError('SOURCE_NOT_FOUND', `cannot read ${spec}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    });
    if (!info.isDirectory()) return new ImageFilesSource(spec, '.', [spec]);
    const paths = (await listFiles(spec, true, spec)).filter((path) => IMAGE_EXTENSIONS.has(extensionOf(path)));
    if (paths.length === 0) throw new SourceError('SOURCE_NOT_FOUND', `no images (${[...IMAGE_EXTENSIONS].join(' ')}) in ${spec}`);
    return new ImageFilesSource(spec, spec, sortNatural(paths));
  }

  async *frames(options: FramesOptions = {}): AsyncGenerator<Frame> {
    for (const [index, path] of this.paths.entries()) yield await readImageFrame(path, index, options.signal);
  }
}

/** Reads one image file as a frame whose id is its path. */
export async function readImageFrame(path: string, index: number, signal?: AbortSignal): Promise<Frame> {
  signal?.throwIfAborted();
  let data: Buffer;
  try {
    data = await readFile(path, { signal });
  } catch (err: unknown) {
    if (signal?.aborted === true) throw signal.reason;
    throw new SourceError('SOURCE_UNREADABLE', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return { index, id: path, data, encoding: sniffEncoding(data), width: 0, height: 0 };
}

function extensionOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot === -1 ? '' : path.slice(dot).toLowerCase();
}

function sortNatural(paths: string[]): string[] {
  return paths.sort((a, b) => collator.compare(a, b));
}

/** Files under `dir` (and its subfolders when `deep`), skipping hidden entries. */
async function listFiles(dir: string, deep: boolean, spec: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err: unknown) {
    throw new SourceError('SOURCE_NOT_FOUND', `cannot read ${dir === spec ? spec : `${dir} (from ${spec})`}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (deep) files.push(...(await listFiles(path, true, spec)));
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      files.push(path);
    }
  }
  return files;
}
