/**
 * The bridge's gate: one `onRequest` hook in front of every route. It decides what a path needs
 * from one table (anything not in it needs `view`, so a route added later is closed until placed
 * there), lets a browser exchange `?token=` for the token cookie, and refuses before any handler
 * runs, a WebSocket upgrade included: 401 without a valid token, 403 without the role. API and
 * socket refusals are JSON; page refusals are a short page saying how to pass a token.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Principal, SluiceError } from '../../server/index.js';
import { type BridgeAccess, type BridgeNeed, requestCredentials } from './bridge-access.js';
import { hostFitsConnection } from './loopback-host.js';
import { tokenCookie } from './token-cookie.js';
import { MODEL_UPLOAD_PATH } from '../routes/model-routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request, as the access hook established it; null on open routes. */
    principal: Principal | null;
  }
}

/** Body of a 401 or 403 from the API and the WebSocket upgrade. */
export interface AccessRefusal {
  readonly error: { readonly code: 'UNAUTHENTICATED' | 'PERMISSION_DENIED'; readonly message: string };
}

/** What a path needs; undefined: open to all (liveness probes carry no token). */
function needOf(path: string): BridgeNeed | undefined {
  if (path === '/healthz') return undefined;
  if (path === '/api/sessions') return 'watch';
  // Evaluating a dataset is running models; uploading one changes what the server serves.
  if (path === '/api/datasets' || path.startsWith('/api/datasets/')) return 'infer';
  if (path === MODEL_UPLOAD_PATH) return 'admin';
  // The page, its assets, /api/models and /ws; each socket message is checked again for its own role.
  return 'view';
}

/** The viewer's page and assets, as opposed to the JSON API and the socket. */
function isPage(path: string): boolean {
  return !path.startsWith('/api/') && path !== '/ws';
}

function describe(path: string): string {
  return isPage(path) ? 'the viewer' : path;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function refusalPage(status: 401 | 403, message: string): string {
  const how =
    status === 401
      ? `<p>Open this page once with your token in the address, as <code>/?token=YOUR-TOKEN</code>. The bridge checks it, keeps it in a cookie for this browser session and takes it out of the address. Programs send <code>Authorization: Bearer YOUR-TOKEN</code> instead.</p>`
      : `<p>Ask the operator for a token with the <code>infer</code> or <code>watch</code> role, then open this page with <code>/?token=YOUR-TOKEN</code>.</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sluice: token needed</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 3em auto">
<h1>${status === 401 ? 'A token is needed' : 'This token may not view this bridge'}</h1>
<p>${escapeHtml(message)}.</p>
${how}
</body></html>
`;
}

function refuse(reply: FastifyReply, err: unknown, page: boolean): FastifyReply {
  if (!(err instanceof SluiceError) || (err.code !== 'UNAUTHENTICATED' && err.code !== 'PERMISSION_DENIED')) throw err;
  const status = err.code === 'UNAUTHENTICATED' ? 401 : 403;
  reply.code(status).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="sluice"');
  if (page) return reply.type('text/html; charset=utf-8').send(refusalPage(status, err.message));
  const body: AccessRefusal = { error: { code: err.code, message: err.message } };
  return reply.send(body);
}

/**
 * `?token=` on a page: checked, stored in the cookie, and taken out of the address by a redirect
 * to the same URL without it, so that it stays in neither the address bar nor the history.
 */
function login(request: FastifyRequest, reply: FastifyReply, access: BridgeAccess, url: URL, secure: boolean): FastifyReply {
  const token = url.searchParams.get('token') ?? '';
  try {
    access.require('view', 'the viewer', { ...requestCredentials(request), token });
  } catch (err: unknown) {
    return refuse(reply, err, true);
  }
  url.searchParams.delete('token');
  return reply
    .header('set-cookie', tokenCookie(token, secure))
    .header('cache-control', 'no-store')
    // The URL being left holds the token: no Referer may carry it anywhere.
    .header('referrer-policy', 'no-referrer')
    .redirect(`${url.pathname}${url.search}`, 302);
}

/** Installs the gate; `secure`: the bridge serves HTTPS, so the cookie is marked Secure. */
export function registerAccessHook(app: FastifyInstance, access: BridgeAccess, secure: boolean): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    // Requests injected in-process (`inject`, `injectWS`) have no socket, so no address to check.
    const localAddress = (request.socket as Socket | undefined)?.localAddress;
    if (!hostFitsConnection(localAddress, request.headers.host)) {
      const message = 'a request over loopback must name this machine in its Host header (localhost, 127.0.0.1 or [::1]); refused as a possible DNS rebinding';
      return reply.code(403).header('cache-control', 'no-store').send({ error: { code: 'HOST_NOT_ALLOWED', message } });
    }
    // The base only parses the path; the Host header is not trusted for anything here.
    const url = new URL(request.url, 'http://bridge.invalid');
    const need = needOf(url.pathname);
    if (need === undefined) return;
    const page = isPage(url.pathname);
    if (page && access.requiresTokens && url.searchParams.has('token') && (request.method === 'GET' || request.method === 'HEAD')) {
      return login(request, reply, access, url, secure);
    }
    try {
      request.principal = access.require(need, describe(url.pathname), requestCredentials(request));
    } catch (err: unknown) {
      return refuse(reply, err, page);
    }
    return undefined;
  });
}
