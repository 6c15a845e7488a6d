// An undici Client for one origin whose sockets go to already-checked IP addresses only. The
// request keeps the URL's Host header, and TLS keeps the hostname as SNI servername and for
// certificate verification; only the TCP destination is pinned. No DNS happens here at all.
import type { Socket } from 'node:net';
import { buildConnector, Client } from 'undici';
import { ipLiteral } from './ssrf';

export interface PinnedClientOptions {
  /** Checked addresses, tried in order when connecting fails (at most MAX_ADDRESS_ATTEMPTS). */
  addresses: string[];
  connectMs: number;
  headersMs: number;
  bodyIdleMs: number;
  /** Extra trusted CA certificates (PEM), e.g. an internal file server's private CA. */
  ca?: string | string[];
}

const MAX_ADDRESS_ATTEMPTS = 3;
// Errors after which the next address of the same host is worth a try.
const NEXT_ADDRESS_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export interface PinnedClient {
  client: Client;
  /** The peer address of the socket actually connected (null before a connection). */
  remoteAddress(): string | null;
}

export function createPinnedClient(origin: URL, opts: PinnedClientOptions): PinnedClient {
  const base = buildConnector({
    timeout: opts.connectMs,
    maxCachedSessions: 0,
    ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
  });
  const literal = ipLiteral(origin.hostname);
  // SNI and certificate checks use the hostname; IP literals get no SNI (and are verified as IPs).
  const servername = literal === null ? origin.hostname : undefined;
  const candidates = opts.addresses.slice(0, MAX_ADDRESS_ATTEMPTS);
  let connected: string | null = null;

  const connect: buildConnector.connector = (connectOpts, callback) => {
    const attempt = (i: number) => {
      const hostname = candidates[i]!;
      base({ ...connectOpts, hostname, ...(servername ? { servername } : {}) }, (err, socket) => {
        if (err) {
          const code = (err as { code?: string }).code;
          if (i + 1 < candidates.length && code !== undefined && NEXT_ADDRESS_CODES.has(code)) {
            attempt(i + 1);
            return;
          }
          callback(err, null);
          return;
        }
        connected = (socket as Socket).remoteAddress ?? hostname;
        callback(null, socket as Socket);
      });
    };
    if (candidates.length === 0) callback(new Error('no checked address to connect to'), null);
    else attempt(0);
  };

  const client = new Client(origin.origin, {
    connect,
    headersTimeout: opts.headersMs,
    bodyTimeout: opts.bodyIdleMs,
    pipelining: 1,
  });
  return { client, remoteAddress: () => connected };
}
