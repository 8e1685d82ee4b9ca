/**
 * Paces a sequence of frames at a given rate.
 * - A source that makes frames on demand (a file, rendered frames) is slowed down: frame i goes
 *   at start + i / fps. A consumer that falls behind is not followed by a burst: the schedule
 *   starts again from the late frame.
 * - A live source (a camera) cannot be slowed down, so frames that come before their slot are
 *   skipped, which keeps what is sent fresh.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Options of `paceFrames`. */
export interface PaceOptions {
  /** Frames per second; read when the first frame arrives, since a video's rate is known then. */
  readonly fps: () => number | undefined;
  readonly live: boolean;
  readonly signal?: AbortSignal | undefined;
  /** Called for every frame a live source delivered too early and that was skipped. */
  readonly onSkip?: () => void;
}

export async function* paceFrames<T>(frames: AsyncIterable<T>, options: PaceOptions): AsyncGenerator<T> {
  let interval = 0;
  let anchor = 0;
  let slot = 0;
  let first = true;
  for await (const frame of frames) {
    if (first) {
      first = false;
      const fps = options.fps();
      interval = fps !== undefined && fps > 0 ? 1000 / fps : 0;
      anchor = performance.now();
      slot = 1;
      yield frame;
      continue;
    }
    if (interval === 0) {
      yield frame;
      continue;
    }
    const due = anchor + slot * interval;
    let now = performance.now();
    if (options.live) {
      // Half a frame of tolerance: camera timing jitters.
      if (now < due - interval / 2) {
        options.onSkip?.();
        continue;
      }
    } else if (now < due) {
      await sleep(due - now, undefined, { signal: options.signal }).catch((err: unknown) => {
        throw options.signal?.aborted === true ? options.signal.reason : err;
      });
      now = due;
    }
    if (now > due + interval) anchor = now - slot * interval;
    slot++;
    yield frame;
  }
}
