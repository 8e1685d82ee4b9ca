/**
 * The OCR pipeline on video-like input: synthetic 640x360 JPEG frames of text (four lines at
 * different sizes and angles, one upside down), rendered before measuring so that rendering is not
 * counted, streamed to the `ocr` model of the repository as it ships.
 */
import { join } from 'node:path';
import { imageRequest } from '../client/index.js';
import { SyntheticSource } from '../client/sources/synthetic-source.js';
import type { Budget } from './bench-models.js';
import { REPO_ROOT } from './child-process.js';
import { connect } from './sluice-scenarios.js';
import { type LoadResult, measureStream } from './sluice-load.js';
import { startSluice } from './server-process.js';

/** What the OCR scenario measured. */
export interface OcrResult {
  readonly frameSize: string;
  readonly window: number;
  readonly result: LoadResult;
  /** Text boxes read per frame, on average. */
  readonly linesPerFrame: number;
}

const WINDOW = 4;
const FRAMES = 30;

/** Streams rendered frames to `ocr` on a server of its own, with the repository's models. */
export async function measureOcrPipeline(budget: Budget): Promise<OcrResult> {
  const source = new SyntheticSource({ width: 640, height: 360, fps: 15, encoding: 'jpeg' });
  const frames: Buffer[] = [];
  for await (const frame of source.frames()) {
    frames.push(frame.data);
    if (frames.length === FRAMES) break;
  }
  const server = await startSluice({ modelsDir: join(REPO_ROOT, 'models') });
  const connection = await connect(server);
  try {
    let lines = 0;
    let predictions = 0;
    const result = await measureStream({
      stub: connection.stub,
      serverPid: server.pid,
      window: WINDOW,
      budget,
      request: (id) => imageRequest('ocr', frames[Number(id) % FRAMES] as Buffer, id),
    });
    // One more short pass to count what was read (the load loop keeps only timings).
    for (let i = 0; i < 6; i++) {
      const response = await connection.client.predictOne(imageRequest('ocr', frames[i] as Buffer, String(i)));
      if (response.result?.$case === 'prediction') {
        predictions++;
        lines += response.result.value.detections.filter((d) => d.text !== '').length;
      }
    }
    return { frameSize: '640x360', window: WINDOW, result, linesPerFrame: predictions === 0 ? 0 : lines / predictions };
  } finally {
    connection.close();
    await server.stop();
  }
}
