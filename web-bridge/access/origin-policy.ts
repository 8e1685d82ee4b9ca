/**
 * Which pages may open the bridge's WebSocket. Browsers send cookies with a WebSocket upgrade
 * whatever page opens it, and the same-origin policy does not apply to WebSockets, so the upgrade
 * is the one place to stop another site's page from using a visitor's session (cross-site
 * WebSocket hijacking). Clients that send no Origin are not browsers and are let through: they
 * have no ambient cookie to abuse, and the token check still applies to them.
 */

/** `value` as an origin (`scheme://host[:port]`, default port dropped), or undefined when it is not exactly one. */
export function normalizeOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') return undefined;
  // `new URL` accepts a trailing slash but nothing else after the authority.
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#]+\/?$/i.test(value)) return undefined;
  return url.origin;
}

/** The Origins allowed to open the bridge's WebSocket. */
export class OriginPolicy {
  readonly #scheme: 'http' | 'https';
  readonly #allowed: ReadonlySet<string>;

  /** `scheme`: what the bridge serves; `allowed`: normalized origins allowed besides its own. */
  constructor(scheme: 'http' | 'https', allowed: readonly string[]) {
    this.#scheme = scheme;
    this.#allowed = new Set(allowed);
  }

  /**
   * Whether an upgrade with this Origin and Host header may proceed: no Origin, an allowed one,
   * or the bridge's own origin as the browser reached it (`scheme://` + the Host header).
   */
  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    const normalized = normalizeOrigin(origin);
    if (normalized === undefined) return false;
    if (this.#allowed.has(normalized)) return true;
    if (host === undefined || host === '') return false;
    return normalizeOrigin(`${this.#scheme}://${host}`) === normalized;
  }
}
