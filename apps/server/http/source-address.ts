// The unit a per-address budget is charged to: the client IP, IPv6 widened to its /64 (one host
// or customer usually owns a whole /64, so per-address budgets would be free to multiply).
import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';
import { clientIp } from '../ingest/client-ip';

export function addressBucket(ip: string | null): string {
  if (!ip) return 'unknown';
  // IPv4 (no colon) is its own bucket: no parse on the ack path for it.
  if (!ip.includes(':')) return ip;
  try {
    const addr = ipaddr.parse(ip);
    if (addr.kind() !== 'ipv6') return ip;
    return `${ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/64`).toString()}/64`;
  } catch {
    return ip;
  }
}

export function sourceAddress(req: IncomingMessage, trustedProxies: readonly string[]): string {
  return addressBucket(clientIp(req, trustedProxies));
}
