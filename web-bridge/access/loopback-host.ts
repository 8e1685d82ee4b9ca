/**
 * DNS rebinding guard. A page on another site can point its own host name at 127.0.0.1 and then
 * reach a bridge on loopback as "its own origin" (the Origin and Host headers then agree). What
 * gives it away is the Host header: a request that arrived over loopback must name this machine.
 */
import { isLoopbackAddress } from '../../server/index.js';

/** Whether `host` (a Host header, port included) names this machine: `localhost`, `*.localhost`, 127.0.0.0/8 or [::1]. */
export function namesLoopback(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  const lower = name.toLowerCase();
  return lower === 'localhost' || lower.endsWith('.localhost') || isLoopbackAddress(lower);
}

/** True when a request that came in on `localAddress` with this Host header is safe to serve. */
export function hostFitsConnection(localAddress: string | undefined, host: string | undefined): boolean {
  if (localAddress === undefined || !isLoopbackAddress(localAddress)) return true;
  return namesLoopback(host);
}
