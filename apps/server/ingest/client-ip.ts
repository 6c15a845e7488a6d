// The client's address. X-Forwarded-For is believed only when the peer is a configured trusted
// proxy, and then only up to the first hop that is not one (right to left): anything further
// left was written by the client itself.
import type { IncomingMessage } from 'node:http';
import { ipInCidrs, parseIp } from '../../../lib/cidr';

export function clientIp(req: IncomingMessage, trustedProxies: readonly string[]): string | null {
  const peer = req.socket.remoteAddress ?? null;
  if (!peer || trustedProxies.length === 0 || !ipInCidrs(peer, trustedProxies)) return normaliseIp(peer);
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

function normaliseIp(ip: string | null): string | null {
  if (!ip) return null;
  return parseIp(ip)?.toString() ?? ip;
}
