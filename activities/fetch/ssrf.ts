// SSRF guard: which URLs may be fetched and which addresses they may connect to. The fetcher
// resolves every hostname itself, checks every address here, and then connects to exactly the
// checked address (see pinned-client.ts), so a DNS answer cannot change between check and use.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import ipaddr from 'ipaddr.js';
import { FetchPermanentError, FetchRetryableError } from './errors';

export interface FetchPolicy {
  /** Development and tests only: skip the address checks (the scheme is still checked). */
  allowPrivateNetworks: boolean;
  /**
   * Hosts an operator explicitly trusts even though they resolve to private addresses (e.g. an
   * internal file server): exact hostnames (any port) or host:port. IPv6 literals in brackets.
   */
  allowedHosts: string[];
}

export interface ResolvedAddress {
  address: string;
  family: number;
}
export type LookupFn = (hostname: string) => Promise<ResolvedAddress[]>;

export const defaultLookup: LookupFn = (hostname) => dnsLookup(hostname, { all: true });

/** Parses and vets a URL (absolute, or relative to `base` for a redirect): http(s), no credentials. */
export function parseFetchUrl(input: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(input, base);
  } catch (err) {
    throw new FetchPermanentError('bad_url', `not a valid URL: ${JSON.stringify(input)}`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchPermanentError('bad_url', `only http and https URLs may be fetched, not ${url.protocol}`, {
      url: url.href,
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new FetchPermanentError('bad_url', 'URLs with credentials (user:pass@) are refused');
  }
  if (url.hostname === '') throw new FetchPermanentError('bad_url', 'URL has no host', { url: url.href });
  url.hash = '';
  return url;
}

export type AddressVerdict =
  | { allowed: true; range: 'unicast' }
  /** `overridable`: an explicit allowedHosts entry may still connect (private, loopback, ...). */
  | { allowed: false; range: string; overridable: boolean };

// Never a sensible destination, whatever the operator allowed: 0.0.0.0 even reaches local services.
const NEVER = new Set(['unspecified', 'broadcast', 'multicast', 'invalid']);
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

function blocked(range: string): AddressVerdict {
  return { allowed: false, range, overridable: !NEVER.has(range) };
}

/**
 * Is this address a public unicast destination? IPv4 must be ipaddr.js 'unicast' (so loopback,
 * RFC 1918, link-local incl. 169.254.169.254, CGNAT, multicast, broadcast, 0/8, 240/4, test and
 * benchmarking nets are refused). IPv6 must be global unicast 2000::/3; addresses that embed an
 * IPv4 address (::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that address.
 */
export function classifyAddress(ip: string): AddressVerdict {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // A zone index (fe80::1%eth0) is only ever link-local; ipaddr.js keeps it out of the bytes.
    addr = ipaddr.parse(ip);
  } catch {
    return blocked('invalid');
  }
  if (addr.kind() === 'ipv4') {
    const range = addr.range();
    return range === 'unicast' ? { allowed: true, range } : blocked(range);
  }
  const v6 = addr as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'ipv4Mapped') return embedded(v6.toIPv4Address(), range);
  if (range === 'rfc6052' && v6.match(NAT64_WELL_KNOWN)) {
    const b = v6.toByteArray();
    return embedded(new ipaddr.IPv4(b.slice(12, 16)), range);
  }
  if (range === '6to4') {
    const b = v6.toByteArray();
    return embedded(new ipaddr.IPv4(b.slice(2, 6)), range);
  }
  if (range === 'unicast' && v6.match(GLOBAL_UNICAST_V6)) return { allowed: true, range };
  // Everything else: loopback, link-local, unique-local fc00::/7, site-local, IPv4-compatible
  // ::a.b.c.d, Teredo, local-use NAT64, documentation, discard, ...
  return blocked(range === 'unicast' ? 'reserved' : range);
}

function embedded(v4: ipaddr.IPv4, via: string): AddressVerdict {
  const inner = classifyAddress(v4.toString());
  return inner.allowed ? inner : blocked(`${via}:${inner.range}`);
}

/** Does `url` match an allowedHosts entry ('name' = any port, 'name:port' = that port only)? */
export function isAllowedHost(url: URL, allowedHosts: readonly string[]): boolean {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowedHosts.some((entry) => {
    const parsed = parseHostEntry(entry);
    return (
      parsed !== null && parsed.hostname === url.hostname && (parsed.port === null || parsed.port === port)
    );
  });
}

function parseHostEntry(entry: string): { hostname: string; port: string | null } | null {
  const e = entry.trim();
  let host = e;
  let port: string | null = null;
  const bracketed = /^(\[[^\]]+\])(?::(\d+))?$/.exec(e);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2] ?? null;
  } else if (e.split(':').length === 2) {
    const [h, p] = e.split(':') as [string, string];
    if (!/^\d+$/.test(p)) return null;
    host = h;
    port = p;
  } else if (e.includes(':')) {
    host = `[${e}]`; // a bare IPv6 literal
  }
  try {
    // Normalise exactly as request URLs are (case, IDNA, numeric IPv4 forms, IPv6 compression).
    const url = new URL(`http://${host}/`);
    return { hostname: url.hostname, port: port === null ? null : String(Number(port)) };
  } catch {
    return null;
  }
}

/** The hostname as an IP literal (brackets stripped), or null when it is a DNS name. */
export function ipLiteral(hostname: string): string | null {
  if (hostname.startsWith('[') && hostname.endsWith(']')) return hostname.slice(1, -1);
  return isIPv4(hostname) ? hostname : null;
}

/**
 * Resolves the URL's host and checks every address against the policy. Returns the addresses to
 * connect to (all checked); throws FetchPermanentError('ssrf_blocked') if any is refused, or
 * FetchRetryableError('dns') if resolution fails.
 */
export async function resolveAndCheck(url: URL, policy: FetchPolicy, lookup: LookupFn): Promise<string[]> {
  const literal = ipLiteral(url.hostname);
  let addresses: string[];
  if (literal !== null) {
    addresses = [literal];
  } else {
    let answers: ResolvedAddress[];
    try {
      answers = await lookup(url.hostname);
    } catch (err) {
      throw new FetchRetryableError('dns', `cannot resolve ${url.hostname}: ${(err as Error).message}`, {
        url: url.href,
        cause: err,
      });
    }
    addresses = answers.map((a) => a.address);
    if (addresses.length === 0) {
      throw new FetchRetryableError('dns', `${url.hostname} resolved to no addresses`, { url: url.href });
    }
  }
  if (policy.allowPrivateNetworks) return addresses;
  const trusted = isAllowedHost(url, policy.allowedHosts);
  for (const address of addresses) {
    const verdict = classifyAddress(address);
    if (verdict.allowed || (trusted && verdict.overridable)) continue;
    throw new FetchPermanentError(
      'ssrf_blocked',
      `refusing to fetch ${url.href}: ${url.hostname} resolves to ${address} (${verdict.range})`,
      { url: url.href },
    );
  }
  return addresses;
}
