// Downloads one producer-referenced URL straight into the WORM store: SSRF-checked on every hop,
// pinned to the checked IP, redirects followed by hand, bounded in time and bytes, streamed (never
// buffered), and hashed by the store. Errors come back typed, retryable or permanent.
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { WormIntegrityError, type WormStore, WormTooLargeError } from '../../worm/store';
import {
  classifyTransportError,
  FetchError,
  FetchPermanentError,
  FetchRetryableError,
  parseRetryAfter,
} from './errors';
import { createPinnedClient } from './pinned-client';
import { defaultLookup, type FetchPolicy, type LookupFn, parseFetchUrl, resolveAndCheck } from './ssrf';

export const MAX_REDIRECTS = 5;
export const DEFAULT_FETCH_TIMEOUTS: FetchTimeouts = {
  connectMs: 10_000,
  headersMs: 30_000,
  bodyIdleMs: 30_000,
};
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = 'webhook-archive-fetcher/1';

export interface FetchTimeouts {
  /** TCP (and TLS) connect, per address tried. */
  connectMs: number;
  /** From request sent to complete response headers. */
  headersMs: number;
  /** Longest silence between two body chunks. */
  bodyIdleMs: number;
}

export interface FetchToWormOptions {
  url: string;
  worm: WormStore;
  key: string;
  retainUntil: Date;
  contentType: string;
  maxBytes: number;
  /** Hex SHA-256 the producer declared; a body hashing differently is never stored. */
  expectedSha256?: string;
  policy: FetchPolicy;
  timeouts?: Partial<FetchTimeouts>;
  /** Bytes received so far; called on the first chunk, then at most every progressIntervalMs, and at the end. */
  onProgress?: (bytes: number) => void;
  progressIntervalMs?: number;
  /** DNS resolution (all addresses); injectable for tests. Default: dns.promises.lookup({ all: true }). */
  lookup?: LookupFn;
  /** Extra trusted CA certificates (PEM) for https, e.g. an internal file server's private CA. */
  ca?: string | string[];
  /** Aborts the fetch (e.g. the activity's cancellation signal); the abort reason is rethrown. */
  signal?: AbortSignal;
}

export interface FetchProvenance {
  finalUrl: string;
  status: number;
  /** Response headers of the final response, without set-cookie. */
  headers: Record<string, string | string[]>;
  /** Every URL that answered with a redirect, in order; the chain is [...redirects, finalUrl]. */
  redirects: string[];
  /** ISO 8601 time the final response headers arrived. */
  fetchedAt: string;
  /** The IP address the final response actually came from (always one that passed the SSRF check). */
  remoteAddress: string;
}

export interface FetchToWormResult {
  sha256: string;
  size: number;
  key: string;
  /** false when an identical object was already sealed under the key (an idempotent retry). */
  created: boolean;
  provenance: FetchProvenance;
}

type Headers = Record<string, string | string[] | undefined>;

export async function fetchToWorm(opts: FetchToWormOptions): Promise<FetchToWormResult> {
  if (!Number.isSafeInteger(opts.maxBytes) || opts.maxBytes < 0) {
    throw new TypeError('maxBytes must be a non-negative integer');
  }
  const timeouts = { ...DEFAULT_FETCH_TIMEOUTS, ...opts.timeouts };
  const lookup = opts.lookup ?? defaultLookup;
  const redirects: string[] = [];
  let url = parseFetchUrl(opts.url);

  for (;;) {
    opts.signal?.throwIfAborted();
    const addresses = await resolveAndCheck(url, opts.policy, lookup);
    const { client, remoteAddress } = createPinnedClient(url, {
      addresses,
      ...timeouts,
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
    });
    try {
      let res: Dispatcher.ResponseData;
      try {
        res = await client.request({
          method: 'GET',
          path: `${url.pathname}${url.search}`,
          headers: { 'user-agent': USER_AGENT, accept: '*/*', 'accept-encoding': 'identity' },
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      } catch (err) {
        throw transportError(err, url, opts.signal);
      }
      const fetchedAt = new Date().toISOString();
      const { statusCode: status, headers, body } = res;

      if (REDIRECT_STATUSES.has(status)) {
        discard(body);
        const location = first(headers.location);
        if (!location) {
          throw new FetchPermanentError(
            'bad_response',
            `${status} redirect without Location from ${url.href}`,
            { status, url: url.href },
          );
        }
        if (redirects.length >= MAX_REDIRECTS) {
          throw new FetchPermanentError(
            'too_many_redirects',
            `more than ${MAX_REDIRECTS} redirects from ${opts.url}`,
            { status, url: url.href },
          );
        }
        const next = parseFetchUrl(location, url);
        redirects.push(url.href);
        url = next;
        continue;
      }

      if (status < 200 || status > 299 || status === 206) {
        discard(body);
        throw statusError(status, headers, url);
      }

      const advertised = Number(first(headers['content-length']));
      if (Number.isFinite(advertised) && advertised > opts.maxBytes) {
        discard(body);
        throw tooLarge(opts.maxBytes, url, `Content-Length ${advertised}`);
      }

      const put = await streamIntoWorm(body, url, opts);
      const peer = remoteAddress();
      if (peer === null) throw new Error('invariant: response without a connected socket');
      return {
        sha256: put.sha256,
        size: put.size,
        key: put.key,
        created: put.created,
        provenance: {
          finalUrl: url.href,
          status,
          headers: recordableHeaders(headers),
          redirects,
          fetchedAt,
          remoteAddress: peer,
        },
      };
    } finally {
      await client.destroy().catch(() => {});
    }
  }
}

async function streamIntoWorm(body: Dispatcher.ResponseData['body'], url: URL, opts: FetchToWormOptions) {
  let bytes = 0;
  let lastReport = Number.NEGATIVE_INFINITY;
  const interval = opts.progressIntervalMs ?? 1000;
  const report = (force: boolean) => {
    if (!opts.onProgress) return;
    const now = Date.now();
    if (!force && now - lastReport < interval) return;
    lastReport = now;
    opts.onProgress(bytes);
  };
  // Counts, reports progress and enforces maxBytes itself (the store does too): a too-large body is
  // cut off at the first byte over, whatever the store implementation.
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.byteLength;
      if (bytes > opts.maxBytes) {
        callback(tooLarge(opts.maxBytes, url, 'body'));
        return;
      }
      report(false);
      callback(null, chunk);
    },
  });
  let bodyError: unknown;
  body.on('error', (err) => {
    bodyError ??= err;
  });
  // Errors surface through worm.put (it reads `counter`); the pipeline promise only needs handling.
  pipeline(body, counter).catch(() => {});
  try {
    const put = await opts.worm.put(opts.key, counter, {
      contentType: opts.contentType,
      retainUntil: opts.retainUntil,
      maxBytes: opts.maxBytes,
      ...(opts.expectedSha256 !== undefined ? { expectedSha256: opts.expectedSha256.toLowerCase() } : {}),
    });
    report(true);
    return put;
  } catch (err) {
    discard(body);
    if (err instanceof FetchError) throw err;
    if (err instanceof WormTooLargeError) throw tooLarge(opts.maxBytes, url, 'body', err);
    if (err instanceof WormIntegrityError) {
      throw new FetchPermanentError('sha256_mismatch', `${url.href}: ${err.message}`, {
        url: url.href,
        cause: err,
      });
    }
    if (bodyError !== undefined) throw transportError(bodyError, url, opts.signal);
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    // Store failures (conflict, I/O, S3) are not ours to classify.
    throw err;
  }
}

function transportError(err: unknown, url: URL, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return signal.reason ?? err;
  if (err instanceof FetchError) return err;
  return classifyTransportError(err, url.href) ?? err;
}

function statusError(status: number, headers: Headers, url: URL): FetchError {
  const where = { status, url: url.href };
  if (status >= 500 || status === 408 || status === 429) {
    const retryAfterMs = parseRetryAfter(headers['retry-after']);
    return new FetchRetryableError('http_status', `HTTP ${status} from ${url.href}`, {
      ...where,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (status >= 400) return new FetchPermanentError('http_4xx', `HTTP ${status} from ${url.href}`, where);
  return new FetchPermanentError('bad_response', `unexpected HTTP ${status} from ${url.href}`, where);
}

function tooLarge(maxBytes: number, url: URL, what: string, cause?: unknown): FetchPermanentError {
  return new FetchPermanentError('too_large', `${url.href}: ${what} exceeds the limit of ${maxBytes} bytes`, {
    url: url.href,
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** Drops an unwanted response body; destroying an unfinished undici body emits an abort error. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function recordableHeaders(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name === 'set-cookie' || name === 'set-cookie2') continue;
    out[name] = value;
  }
  return out;
}
