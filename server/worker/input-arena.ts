/**
 * Memory a worker reuses for the input tensors of its runs. A run's inputs are stacked from
 * several items, or copied to align a client's bytes for their element type; allocating those
 * megabytes afresh for every run costs page faults and garbage collection every time. A worker
 * runs one model run at a time, so one arena, reset before each run, serves them all.
 */
import type { DataType } from '../../gen/ts/sluice/v1/tensor.js';
import { type TensorArray, typedViewAt } from '../tensor/typed-view.js';

const ALIGN = 8;

export class InputArena {
  #buffer = new ArrayBuffer(0);
  #used = 0;

  /** Starts a run: regions handed out before may be reused. */
  reset(): void {
    this.#used = 0;
  }

  /** A typed array of `dtype` with `length` elements, valid until the next `reset`. */
  take(dtype: DataType, length: number, bytesPerElement: number): TensorArray {
    const byteLength = length * bytesPerElement;
    if (this.#used + byteLength > this.#buffer.byteLength) {
      // Regions already handed out in this run keep the old buffer alive until the run is over.
      this.#buffer = new ArrayBuffer(Math.max(byteLength, this.#buffer.byteLength * 2));
      this.#used = 0;
    }
    const view = typedViewAt(dtype, this.#buffer, this.#used, length);
    this.#used += Math.ceil(byteLength / ALIGN) * ALIGN;
    return view;
  }
}
