// IP allowlists: parsing CIDRs at the admin boundary, matching client IPs at ingest.
// IPv4-mapped IPv6 (::ffff:1.2.3.4) is treated as the IPv4 address it carries.
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { ENDPOINT_LIMITS } from './limits';

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

function normalise(addr: Addr): Addr {
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()
    ? (addr as ipaddr.IPv6).toIPv4Address()
    : addr;
}

/** Canonical "address/prefix" for a CIDR or a bare address; null if it is neither. */
export function canonicalCidr(input: string): string | null {
  const s = input.trim();
  try {
    if (s.includes('/')) {
      const [addr, bits] = ipaddr.parseCIDR(s);
      const n = normalise(addr);
      const prefix = n !== addr ? bits - 96 : bits;
      if (prefix < 0) return null;
      // Store the network address, so 10.1.2.3/8 reads back as 10.0.0.0/8.
      const network =
        n.kind() === 'ipv4'
          ? ipaddr.IPv4.networkAddressFromCIDR(`${n.toString()}/${prefix}`)
          : ipaddr.IPv6.networkAddressFromCIDR(`${n.toString()}/${prefix}`);
      return `${network.toString()}/${prefix}`;
    }
    if (!ipaddr.isValid(s)) return null;
    const n = normalise(ipaddr.parse(s));
    return `${n.toString()}/${n.kind() === 'ipv4' ? 32 : 128}`;
  } catch {
    return null;
  }
}

export const ipAllowlistSchema = z
  .array(z.string().max(ENDPOINT_LIMITS.ipAllowlistEntryLength))
  .max(ENDPOINT_LIMITS.ipAllowlistEntries)
  .transform((list, ctx) => {
    const out: string[] = [];
    list.forEach((entry, i) => {
      const c = canonicalCidr(entry);
      if (c === null) {
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `not a valid IP address or CIDR range: ${entry}`,
        });
      } else if (!out.includes(c)) out.push(c);
    });
    return out;
  });

export function parseIp(ip: string): Addr | null {
  try {
    return normalise(ipaddr.parse(ip.trim()));
  } catch {
    return null;
  }
}

export function ipInCidrs(ip: string, cidrs: readonly string[]): boolean {
  const addr = parseIp(ip);
  if (!addr) return false;
  return cidrs.some((c) => {
    try {
      const [net, bits] = ipaddr.parseCIDR(c);
      const n = normalise(net);
      if (n.kind() !== addr.kind()) return false;
      return addr.match(n, n !== net ? bits - 96 : bits);
    } catch {
      return false;
    }
  });
}
