// Token → endpoint, its tenant's retention and its opened secret, cached in this process so the
// ack costs no lookup and no AES-GCM open per request. The cache is never trusted on its own:
// - a receipt is only written while the endpoint's revision (bumped by a trigger on every change
//   to the row) is still the one the request was checked against, in the insert statement
//   itself, so a rotation, disable or delete takes effect at once on every instance;
// - a request refused on cached settings is looked up again before the refusal stands (the
//   producer may already be using the new secret, or the endpoint re-enabled).
// Only usable endpoints are cached: unknown tokens and disabled endpoints always hit the
// database, so guessing fills nothing.
import type { Db } from '../../../db/client';
import { type SecretBox, sha256Hex } from '../../../lib/crypto';
import { withDeadline } from '../../../lib/deadline';
import { endpointSecret } from '../endpoint-secret';
import { resolveEndpoint } from './resolve-endpoint';

export interface ResolvedEndpoint {
  endpoint: Awaited<ReturnType<typeof resolveEndpoint>>['endpoint'];
  retentionDays: number;
  secret: string;
  /** From the cache (to be re-checked before a refusal), or just read. */
  cached: boolean;
}

/** The endpoint changed between the request's check and its receipt: check it again. */
export class StaleEndpointError extends Error {
  constructor() {
    super('the endpoint changed while the request was being checked');
    this.name = 'StaleEndpointError';
  }
}

export interface EndpointCacheOptions {
  /** Entries kept at most (0 turns the cache off). */
  maxEntries: number;
  /** An entry is read again after this long, so idle endpoints' secrets leave memory. */
  ttlMs: number;
  /** The longest a lookup waits on the database (then a 503 the producer retries). */
  timeoutMs?: number;
}

interface Entry {
  value: Omit<ResolvedEndpoint, 'cached'>;
  expiresAt: number;
}

export class EndpointCache {
  // Insertion-ordered: the first key is the least recently refreshed (evicted first).
  private readonly entries = new Map<string, Entry>();
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly db: Db,
    private readonly secretBox: SecretBox,
    private readonly opts: EndpointCacheOptions,
  ) {}

  /** The endpoint for `token`, from the cache when it holds it; throws the 404/403 HttpError. */
  async resolve(token: string): Promise<ResolvedEndpoint> {
    const key = sha256Hex(token);
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > Date.now()) {
      this.stats.hits++;
      return { ...entry.value, cached: true };
    }
    this.stats.misses++;
    return this.load(token, key);
  }

  /** The endpoint as the database has it now (and cached again if usable). */
  fresh(token: string): Promise<ResolvedEndpoint> {
    return this.load(token, sha256Hex(token));
  }

  private async load(token: string, key: string): Promise<ResolvedEndpoint> {
    this.entries.delete(key);
    const lookup = resolveEndpoint(this.db, token);
    const { endpoint, retentionDays } = await (this.opts.timeoutMs
      ? withDeadline(lookup, this.opts.timeoutMs, 'the endpoint lookup')
      : lookup);
    const value = { endpoint, retentionDays, secret: endpointSecret(this.secretBox, endpoint) };
    if (this.opts.maxEntries > 0) {
      this.entries.set(key, { value, expiresAt: Date.now() + this.opts.ttlMs });
      if (this.entries.size > this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    return { ...value, cached: false };
  }
}
