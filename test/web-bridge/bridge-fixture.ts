/**
 * A real Sluice server and a bridge in front of it, for one test, closed when it ends.
 */
import type { TestContext } from 'node:test';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { type CreateBridgeOptions, createBridge } from '../../web-bridge/index.js';
import { renderText } from '../helpers/images.js';
import { type TestServer, startTestServer } from '../helpers/test-server.js';
import { WsProbe } from './ws-probe.js';

export interface BridgeFixture extends TestServer {
  readonly app: FastifyInstance;
  /** Opens a WebSocket on /ws in-process, closed when the test ends; the `hello` is consumed. */
  openSocket(): Promise<WsProbe>;
}

export async function startBridgeFixture(
  t: TestContext,
  options: Partial<CreateBridgeOptions> = {},
  serverOverrides: Parameters<typeof startTestServer>[1] = {},
): Promise<BridgeFixture> {
  const server = await startTestServer(t, serverOverrides);
  const app = await createBridge({ server: server.address, ...options });
  t.after(() => app.close());
  return {
    ...server,
    app,
    async openSocket() {
      // Listeners go on before the upgrade completes: the bridge says hello at once.
      let probe: WsProbe | undefined;
      await app.injectWS('/ws', {}, { onInit: (ws) => (probe = new WsProbe(ws)) });
      if (probe === undefined) throw new Error('injectWS did not call onInit');
      const opened = probe;
      t.after(() => opened.ws.terminate());
      await opened.control('hello');
      return opened;
    },
  };
}

/** A JPEG of dark text lines on white, like a frame a browser would send; `n` moves the text. */
export async function textFrame(n: number, width = 640, height = 360): Promise<Buffer> {
  const png = await renderText(width, height, [
    { text: 'Hello Sluice', x: 40 + (n % 5) * 10, y: 120, size: 56 },
    { text: `frame ${n}`, x: 60, y: 250, size: 44 },
  ]);
  return sharp(png).jpeg({ quality: 85 }).toBuffer();
}
