/**
 * What the viewer's socket is doing: nothing, starting a source, sending from it, or watching a
 * published stream.
 */
import type { FrameSource } from './frame-source.js';
import type { SourceStreamer } from './source-streamer.js';

/** The viewer's one activity; a new object whenever it changes, so that late work can tell it is stale. */
export type ViewerMode =
  | { readonly kind: 'idle' }
  | { readonly kind: 'starting'; readonly source: FrameSource; readonly session: string; readonly window: number; readonly fps: number }
  | { readonly kind: 'source'; readonly source: FrameSource; readonly streamer: SourceStreamer; readonly session: string }
  | { readonly kind: 'watch'; readonly session: string };
