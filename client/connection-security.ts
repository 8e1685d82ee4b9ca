/**
 * How a client connects: plaintext or TLS (server name verified; a client certificate for
 * mutual TLS), and the token it presents on every call. Shared by the client library, the CLI
 * and the web bridge's upstream.
 */
import { type ChannelCredentials, type ClientOptions, InterceptingCall, type Interceptor, credentials } from '@grpc/grpc-js';

/** TLS settings; every field is optional (the system's CAs verify the server by default). */
export interface ClientTlsOptions {
  /** PEM CA bundle that signed the server's certificate (default: the system's CAs). */
  readonly ca?: Buffer;
  /** PEM client certificate, for servers that require one (mutual TLS); needs `key`. */
  readonly cert?: Buffer;
  /** PEM private key of `cert`. */
  readonly key?: Buffer;
  /** Name the server's certificate must carry, when it is not the host in the address. */
  readonly serverName?: string;
}

/** Transport security and credentials of a connection. */
export interface ConnectionSecurity {
  /** TLS: true for the defaults, or its settings; absent or false for plaintext. */
  readonly tls?: boolean | ClientTlsOptions;
  /** Sent as `authorization: Bearer <token>` on every call. */
  readonly token?: string;
}

/** The channel credentials for `security`. */
export function channelCredentials(security: ConnectionSecurity): ChannelCredentials {
  const tls = security.tls;
  if (tls === undefined || tls === false) return credentials.createInsecure();
  if (tls === true) return credentials.createSsl();
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new TypeError('tls.cert and tls.key go together: give both or neither');
  return credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
}

/** Adds the token to every call. */
function bearerInterceptor(token: string): Interceptor {
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', value);
        next(metadata, listener);
      },
    });
}

/** Channel and client options for `security`: the token interceptor and the server name override. */
export function securityClientOptions(security: ConnectionSecurity): ClientOptions {
  const options: ClientOptions = {};
  if (security.token !== undefined && security.token !== '') {
    if (/[\s]/.test(security.token)) throw new TypeError('token must not contain white space');
    options.interceptors = [bearerInterceptor(security.token)];
  }
  const tls = security.tls;
  if (typeof tls === 'object' && tls.serverName !== undefined) options['grpc.ssl_target_name_override'] = tls.serverName;
  return options;
}
