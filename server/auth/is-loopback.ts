/**
 * Whether an address is this machine's loopback interface.
 */
import { isIP } from 'node:net';

/** True for 127.0.0.0/8, ::1 and IPv4-mapped 127.0.0.0/8; false for names and anything unparseable. */
export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return address.startsWith('127.');
  if (family !== 6) return false;
  const lower = address.toLowerCase();
  if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  return mapped !== null && mapped[1]!.startsWith('127.');
}

/**
 * The same for a peer as grpc-js writes it: the address, then `:port` (`127.0.0.1:5000`,
 * `::1:5000`), or `[::1]:5000`. The port is taken off first, since `::1:5000` is itself a valid
 * (and different) IPv6 address.
 */
export function isLoopbackPeer(peer: string): boolean {
  const trimmed = peer.trim();
  if (trimmed.startsWith('[')) return isLoopbackAddress(trimmed.slice(1, trimmed.indexOf(']')));
  const withoutPort = trimmed.replace(/:\d+$/, '');
  return isIP(withoutPort) !== 0 ? isLoopbackAddress(withoutPort) : isLoopbackAddress(trimmed);
}
