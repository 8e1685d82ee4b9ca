/**
 * The cookie a browser carries its token in. Browsers cannot put an Authorization header on a
 * WebSocket upgrade or on the page's own requests, so the viewer's token travels as a cookie:
 * HttpOnly (page scripts never see it), SameSite=Strict (other sites' requests do not carry it),
 * Secure over HTTPS, for the whole bridge.
 */

/** Name of the cookie. */
export const TOKEN_COOKIE = 'sluice_token';

/** The `Set-Cookie` value that stores `token` for this browser session. */
export function tokenCookie(token: string, secure: boolean): string {
  // Token files allow any non-space character, some of which a cookie value cannot hold.
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** The token in a `Cookie` header, or undefined. */
export function readTokenCookie(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== TOKEN_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    try {
      return value === '' ? undefined : decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
