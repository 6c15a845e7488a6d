// Typed outcomes of a URL fetch. The Temporal activity maps them to its retry policy: a
// FetchRetryableError is retried (honouring retryAfterMs), a FetchPermanentError never is.

export type FetchPermanentReason =
  | 'ssrf_blocked'
  | 'bad_url'
  | 'http_4xx'
  | 'too_large'
  | 'sha256_mismatch'
  | 'too_many_redirects'
  /** A response we cannot archive: a redirect without Location, 206, or an unexpected 1xx/3xx. */
  | 'bad_response';

export type FetchRetryableReason = 'network' | 'timeout' | 'dns' | 'tls' | 'http_status';

export class FetchError extends Error {
  override name = 'FetchError';
}

export class FetchPermanentError extends FetchError {
  override name = 'FetchPermanentError';
  readonly reason: FetchPermanentReason;
  readonly status?: number;
  readonly url?: string;
  constructor(
    reason: FetchPermanentReason,
    message: string,
    opts: { status?: number; url?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.reason = reason;
    if (opts.status !== undefined) this.status = opts.status;
    if (opts.url !== undefined) this.url = opts.url;
  }
}

export class FetchRetryableError extends FetchError {
  override name = 'FetchRetryableError';
  readonly reason: FetchRetryableReason;
  readonly status?: number;
  readonly url?: string;
  /** From Retry-After (delta-seconds or HTTP-date), when the server sent one. */
  readonly retryAfterMs?: number;
  constructor(
    reason: FetchRetryableReason,
    message: string,
    opts: { status?: number; url?: string; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.reason = reason;
    if (opts.status !== undefined) this.status = opts.status;
    if (opts.url !== undefined) this.url = opts.url;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP-date; undefined if absent or invalid. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) {
    const seconds = Number(v);
    return Number.isSafeInteger(seconds * 1000) ? seconds * 1000 : undefined;
  }
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);
const NETWORK_UNDICI_CODES = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_HEADERS_OVERFLOW',
  'UND_ERR_INFO',
]);
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|ERR_OSSL_)/;

/**
 * A transport failure (socket, timeout, TLS, malformed HTTP) as a FetchRetryableError; null for
 * anything else (store errors, programming errors), which the caller rethrows unchanged.
 */
export function classifyTransportError(err: unknown, url: string): FetchRetryableError | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  const message = `${url}: ${(err as Error).message || code}`;
  if (TIMEOUT_CODES.has(code)) return new FetchRetryableError('timeout', message, { url, cause: err });
  if (TLS_CODE.test(code)) return new FetchRetryableError('tls', message, { url, cause: err });
  if (NETWORK_UNDICI_CODES.has(code) || code.startsWith('HPE_') || /^E(?!RR_)[A-Z0-9_]+$/.test(code)) {
    return new FetchRetryableError('network', message, { url, cause: err });
  }
  return null;
}
