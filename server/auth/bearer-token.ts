/**
 * Reads the token a caller presents: `authorization: Bearer <token>`, the header Triton, KServe
 * and most gRPC tooling send.
 */

/** The token in an `authorization` value, or undefined when there is none or it is not a Bearer token. */
export function bearerToken(authorization: unknown): string | undefined {
  const value = Array.isArray(authorization) ? authorization[0] : authorization;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
  return match === null ? undefined : match[1];
}
