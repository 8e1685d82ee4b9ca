/**
 * Packs a run's inputs for the trip to a worker. An item that owns its buffer moves it (no copy);
 * the bytes of the others, small messages that live in memory shared with other data, are copied
 * once into one buffer for the whole run, which then moves (or, when small, is copied with the
 * task). So a run costs at most one allocation, however many items it holds.
 */
import { type ImageData, type ItemInput, MOVE_THRESHOLD_BYTES, type TensorData } from '../worker/task.js';
import type { PreparedInput } from './work-item.js';

/** What goes to the worker. */
export interface PackedRun {
  readonly inputs: ItemInput[];
  readonly transfer: ArrayBuffer[];
}

const ALIGN = 8;
const aligned = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

function viewsOf(input: ItemInput): readonly Uint8Array[] {
  return input.kind === 'image' ? [input.image.data] : input.tensors.map((t) => t.data);
}

/** Moves owned buffers and copies the rest into one shared arena. */
export function packRun(items: readonly PreparedInput[]): PackedRun {
  const transfer: ArrayBuffer[] = [];
  let arenaBytes = 0;
  for (const item of items) {
    if (item.owned !== undefined) continue;
    for (const view of viewsOf(item.input)) arenaBytes += aligned(view.byteLength);
  }
  // Not zero-filled: every byte of it is written below before it is read.
  const arena = arenaBytes > 0 ? Buffer.allocUnsafeSlow(arenaBytes).buffer : undefined;
  let offset = 0;
  const place = (view: Uint8Array): Uint8Array => {
    const copy = new Uint8Array(arena as ArrayBuffer, offset, view.byteLength);
    copy.set(view);
    offset += aligned(view.byteLength);
    return copy;
  };
  const inputs = items.map((item): ItemInput => {
    if (item.owned !== undefined) {
      transfer.push(item.owned);
      return item.input;
    }
    const input = item.input;
    if (input.kind === 'image') {
      const image: ImageData = { ...input.image, data: place(input.image.data) };
      return { kind: 'image', image };
    }
    const tensors: TensorData[] = input.tensors.map((t) => ({ ...t, data: place(t.data) }));
    return { kind: 'tensors', tensors };
  });
  if (arena !== undefined && arenaBytes >= MOVE_THRESHOLD_BYTES) transfer.push(arena as ArrayBuffer);
  return { inputs, transfer };
}
