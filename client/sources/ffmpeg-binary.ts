/**
 * Which ffmpeg to run: `FFMPEG_PATH`, else the binary that `@ffmpeg-installer/ffmpeg` ships for
 * this platform, else `ffmpeg` on the PATH.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Resolves the ffmpeg command from `env` (default `process.env`). */
export function resolveFfmpegPath(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.FFMPEG_PATH;
  if (configured !== undefined && configured !== '') return configured;
  try {
    // The installer package throws when it has no binary for this platform.
    const { path } = require('@ffmpeg-installer/ffmpeg') as { path: string };
    if (existsSync(path)) return path;
  } catch {
    // fall through to the PATH
  }
  return 'ffmpeg';
}
