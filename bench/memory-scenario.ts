/**
 * Memory under large frames: 8 streams, each on a connection of its own, sending 48 MiB raw RGB8
 * images (4096x4096, resized by the worker for `tiny-cnn`) as fast as the server takes them, to a
 * server started with an explicit byte budget (`--max-inflight-bytes`). The server's resident set
 * is sampled every 50 ms; the budget holds if the peak stays within the budget plus what the
 * process needs anyway (runtime, models, one frame being decoded and copied). The load is
 * transport-bound: grpc-js moves one 48 MiB message over loopback in about a second, so each
 * stream keeps several in flight and the streams are cancelled at the end rather than drained.
 */
import { performance } from 'node:perf_hooks';
import { PixelFormat } from '../gen/ts/sluice/v1/image.js';
import { type PredictResponse, StreamOptions } from '../gen/ts/sluice/v1/inference_service.js';
import { ItemStats, type ItemSummary } from './item-stats.js';
import { type ResourceUsage, UsageWindow, medianRssMiB } from './proc-stats.js';
import { startScenarioServer } from './scenario-server.js';
import { supportedFlags } from './serve-flags.js';
import { type PreEncodedClient, createPreEncodedClient, preEncodedRequests } from './pre-encoded-predict.js';

const MIB = 1024 * 1024;
/** Streams sending at once. */
export const MEMORY_STREAMS = 8;
/** Side of the square RGB8 frame: 4096 x 4096 x 3 bytes = 48 MiB. */
export const MEMORY_FRAME_SIDE = 4096;
/** The server's byte budget for items read and not yet answered. */
export const MEMORY_BUDGET_BYTES = 512 * MIB;
/** The allowance above the budget the target gives the whole process. */
export const MEMORY_ALLOWANCE_MIB = 300;
/**
 * Items each stream keeps in flight: without a byte budget the server could hold 8 x 3 x 48 MiB,
 * over twice the budget.
 */
const WINDOW = 3;
const MAX_MESSAGE_BYTES = 64 * MIB;
const SAMPLE_EVERY_MS = 50;

/** What the memory scenario measured. */
export interface MemoryResult extends ItemSummary {
  readonly streams: number;
  readonly frameBytes: number;
  readonly window: number;
  readonly budgetMiB: number;
  /** False when the server does not know `--max-inflight-bytes`: nothing enforced the budget. */
  readonly budgetEnforced: boolean;
  /** Server RSS before the load, in MiB. */
  readonly idleRssMiB: number;
  readonly peakRssMiB: number;
  /** Peak RSS minus the budget, in MiB. */
  readonly peakOverBudgetMiB: number;
  readonly items: number;
  readonly seconds: number;
  readonly itemsPerSec: number;
  readonly server: ResourceUsage;
}

/**
 * Each stream's request, built once: a 48 MiB frame and the stream's number as its id (a stream's
 * answers come in request order, so they are matched in turn), asking for the stream's window.
 */
function streamRequests(): Buffer[] {
  const side = MEMORY_FRAME_SIDE;
  const data = Buffer.alloc(side * side * 3);
  // A gradient rather than zeros, so that nothing on the way could shortcut the bytes.
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 0xff;
  const options = StreamOptions.fromPartial({ maxInFlight: WINDOW });
  const request = preEncodedRequests({ image: { data, width: side, height: side, pixelFormat: PixelFormat.PIXEL_FORMAT_RGB8 } }, (id) => ({ id, model: 'tiny-cnn', streamOptions: options }));
  return Array.from({ length: MEMORY_STREAMS }, (_, s) => request(String(s)));
}

/**
 * One stream writing its frame as fast as it may (`WINDOW` unanswered, and no faster than gRPC
 * drains) until `deadlineMs`, then cancelled: waiting for the last answers at a few 48 MiB frames
 * a second would add more waiting than measuring. Resolves with the items answered.
 */
function sendUntil(client: PreEncodedClient, request: Buffer, deadlineMs: number, stats: ItemStats): Promise<number> {
  const call = client.predict();
  const sentAt: number[] = [];
  let answered = 0;
  let writable = true;
  return new Promise((resolve) => {
    const pump = (): void => {
      while (writable && sentAt.length < WINDOW && performance.now() < deadlineMs) {
        sentAt.push(performance.now());
        writable = call.write(request);
      }
    };
    const timer = setTimeout(() => {
      call.cancel();
      resolve(answered);
    }, Math.max(0, deadlineMs - performance.now()));
    call.on('data', (response: PredictResponse) => {
      const start = sentAt.shift();
      if (start === undefined) return;
      answered++;
      stats.add(response, performance.now() - start);
      pump();
    });
    call.on('drain', () => {
      writable = true;
      pump();
    });
    call.on('error', (err: Error) => {
      // The cancel at the deadline is expected; anything before it is a failure.
      if (performance.now() < deadlineMs) {
        stats.addError(err.message);
        clearTimeout(timer);
        resolve(answered);
      }
    });
    pump();
  });
}

/** Runs the streams for `seconds`. */
export async function measureMemory(seconds: number): Promise<MemoryResult> {
  const flags = supportedFlags({ '--max-inflight-bytes': String(MEMORY_BUDGET_BYTES), '--max-message-bytes': String(MAX_MESSAGE_BYTES) });
  const server = await startScenarioServer({ models: ['tiny-cnn'], extraArgs: flags.args });
  const clients = Array.from({ length: MEMORY_STREAMS }, () => createPreEncodedClient(server.server.address));
  try {
    const requests = streamRequests();
    const frameBytes = MEMORY_FRAME_SIDE * MEMORY_FRAME_SIDE * 3;
    const idleRssMiB = await medianRssMiB(server.server.pid);
    const stats = new ItemStats();
    const usage = new UsageWindow(server.server.pid, SAMPLE_EVERY_MS);
    const started = performance.now();
    const answered = await Promise.all(clients.map((client, s) => sendUntil(client, requests[s] as Buffer, started + seconds * 1000, stats)));
    const elapsed = (performance.now() - started) / 1000;
    const used = usage.close();
    const items = answered.reduce((sum, n) => sum + n, 0);
    const budgetMiB = MEMORY_BUDGET_BYTES / MIB;
    return {
      streams: MEMORY_STREAMS,
      frameBytes,
      window: WINDOW,
      budgetMiB,
      budgetEnforced: !flags.missing.includes('--max-inflight-bytes'),
      idleRssMiB,
      peakRssMiB: used.maxRssMiB,
      peakOverBudgetMiB: used.maxRssMiB - budgetMiB,
      items,
      seconds: elapsed,
      itemsPerSec: items / elapsed,
      server: used,
      ...stats.summary(),
    };
  } finally {
    for (const client of clients) client.close();
    await server.close();
  }
}
