/**
 * A WebSocket upgrade over a real TCP (or TLS) connection to a listening bridge, with the headers
 * a test chooses: the socket when the bridge accepts, or the HTTP refusal it answered instead.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { TestContext } from 'node:test';
import WebSocket, { type ClientOptions } from 'ws';
import { WsProbe } from './ws-probe.js';

export type Upgrade =
  | { readonly kind: 'open'; readonly probe: WsProbe }
  | { readonly kind: 'refused'; readonly status: number; readonly headers: IncomingHttpHeaders; readonly body: string };

/** Upgrades `url` (ws:// or wss://); an open socket is terminated when the test ends and its `hello` is left to read. */
export function upgrade(t: Pick<TestContext, 'after'>, url: string, options: ClientOptions = {}): Promise<Upgrade> {
  const ws = new WebSocket(url, options);
  // Listeners go on before the upgrade completes: the bridge says hello at once.
  const probe = new WsProbe(ws);
  t.after(() => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ kind: 'open', probe }));
    ws.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ kind: 'refused', status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    ws.once('error', reject);
    // Terminating a refused upgrade at the test's end emits an error nobody waits for; the probe sees the close.
    ws.on('error', () => {});
  });
}

/** The upgrade's refusal, failing the test if the socket opened. */
export async function refusal(t: Pick<TestContext, 'after'>, url: string, options: ClientOptions = {}): Promise<Extract<Upgrade, { kind: 'refused' }>> {
  const result = await upgrade(t, url, options);
  if (result.kind !== 'refused') throw new Error(`${url}: the upgrade was accepted`);
  return result;
}

/** The open socket, with its `hello` consumed, failing the test if the upgrade was refused. */
export async function accepted(t: Pick<TestContext, 'after'>, url: string, options: ClientOptions = {}): Promise<WsProbe> {
  const result = await upgrade(t, url, options);
  if (result.kind !== 'open') throw new Error(`${url}: refused with ${result.status}: ${result.body}`);
  await result.probe.control('hello');
  return result.probe;
}
