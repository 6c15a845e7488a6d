// The client's address. X-Forwarded-For is believed only when the peer is a configured trusted
// proxy, and then only up to the first hop that is not one (right to left): anything further
// left was written by the client itself.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { ipInCidrs, parseIp } from '../../../lib/cidr';

export function clientIp(req: IncomingMessage, trustedProxies: readonly string[]): string | null {
  const peer = req.socket.remoteAddress ?? null;
  if (!peer || trustedProxies.length === 0 || !ipInCidrs(peer, trustedProxies))
    return peerAddress(req.socket);
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (!parseIp(hop)) return normaliseIp(peer);
    if (!ipInCidrs(hop, trustedProxies)) return normaliseIp(hop);
  }
  return normaliseIp(hops[0] ?? peer);
}

// A connection's peer never changes, and a producer sends many requests on one kept-alive
// connection: its address is parsed and normalised once per socket, not once per request.
const peers = new WeakMap<Socket, string | null>();

function peerAddress(socket: Socket): string | null {
  let ip = peers.get(socket);
  if (ip === undefined) {
    ip = normaliseIp(socket.remoteAddress ?? null);
    peers.set(socket, ip);
  }
  return ip;
}

function normaliseIp(ip: string | null): string | null {
  if (!ip) return null;
  return parseIp(ip)?.toString() ?? ip;
}
