/**
 * Bundles the viewer (web-bridge/viewer: TypeScript, CSS with uPlot's, index.html) and the batch
 * evaluation page (batch.ts, batch.css, batch.html) with esbuild.
 * Run as a script, it writes `dist/web-bridge/public/` (what `npm run build:viewer` does); tests
 * call `buildViewer` with a folder of their own so they always serve the current sources.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { DEFAULT_PUBLIC_DIR, PACKAGE_ROOT } from '../package-root.js';

/** The viewer's sources. */
export const VIEWER_SOURCE_DIR = join(PACKAGE_ROOT, 'web-bridge', 'viewer');

/** Options of `buildViewer`. */
export interface BuildViewerOptions {
  /** Output folder (default `dist/web-bridge/public`). */
  readonly outdir?: string;
  /** Minify (default true). */
  readonly minify?: boolean;
}

/** The live viewer (index.html, viewer.ts, viewer.css) and the batch evaluation page (batch.html, batch.ts, batch.css). */
const ENTRY_POINTS = ['viewer.ts', 'viewer.css', 'index.html', 'batch.ts', 'batch.css', 'batch.html'];

/** Writes index.html, viewer.js and viewer.css, batch.html, batch.js and batch.css (with source maps) into `outdir`. */
export async function buildViewer(options: BuildViewerOptions = {}): Promise<string> {
  const outdir = options.outdir ?? DEFAULT_PUBLIC_DIR;
  await build({
    entryPoints: ENTRY_POINTS.map((name) => join(VIEWER_SOURCE_DIR, name)),
    outdir,
    entryNames: '[name]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    loader: { '.html': 'copy' },
    minify: options.minify ?? true,
    sourcemap: true,
    logLevel: 'warning',
  });
  return outdir;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildViewer().then(
    (outdir) => process.stdout.write(`viewer bundled into ${outdir}\n`),
    (err: unknown) => {
      process.stderr.write(`build:viewer: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
