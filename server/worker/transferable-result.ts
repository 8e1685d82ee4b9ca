/**
 * A worker's return value with the buffers it owns moved, not copied, to the main thread.
 */
import { Piscina } from 'piscina';

class TransferableValue<T> {
  readonly #value: T;
  readonly #transfer: readonly ArrayBufferLike[];

  constructor(value: T, transfer: readonly ArrayBufferLike[]) {
    this.#value = value;
    this.#transfer = transfer;
  }

  get [Piscina.transferableSymbol](): readonly ArrayBufferLike[] {
    return this.#transfer;
  }

  get [Piscina.valueSymbol](): T {
    return this.#value;
  }
}

/**
 * Marks `value` so that piscina transfers `buffers` with it. Each buffer must be a plain
 * ArrayBuffer owned by this thread alone (not a pooled Buffer, not onnxruntime's memory).
 */
export function moveWith<T>(value: T, buffers: readonly ArrayBufferLike[]): T {
  return Piscina.move(new TransferableValue(value, buffers) as never) as T;
}
