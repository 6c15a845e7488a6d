// Where a failed admin-key check is answered, for the tRPC API and the HTTP downloads alike:
// 401, or 429 + Retry-After once the address is over its failure budget (admin-auth-throttle.ts).
// Throttled bursts go to the log and to the audit log (tenant-less: the guesser has no tenant).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TRPCError } from '@trpc/server';
import { audit } from '../../../db/audit';
import type { ServerDeps } from '../deps';
import { AdminAuthThrottle, type FailureBurst } from './admin-auth-throttle';
import { HttpError } from './respond';
import { sourceAddress } from './source-address';

export interface AdminAuthGuard {
  /** The answer to a request whose admin key did not resolve: 401, or 429 when throttled. */
  refusal(req: IncomingMessage): HttpError;
  close(): void;
}

export function createAdminAuthGuard(deps: Pick<ServerDeps, 'config' | 'db' | 'log'>): AdminAuthGuard {
  const { config, db, log } = deps;
  const budget = { burst: config.ADMIN_AUTH_FAILURE_BURST, perMinute: config.ADMIN_AUTH_FAILURES_PER_MINUTE };
  const record = (action: string, b: FailureBurst) => {
    const details = {
      failures: b.failures,
      refused: b.refused,
      firstAt: b.firstAt.toISOString(),
      lastAt: b.lastAt.toISOString(),
      budget,
    };
    log.warn(
      { source: b.source, ...details },
      action === 'admin_auth.throttled' ? 'admin key failures throttled' : 'admin key failure burst over',
    );
    audit(db, {
      tenantId: null,
      actor: 'system',
      action,
      targetType: 'source_address',
      targetId: b.source,
      details,
    }).catch((err) => log.error({ err, action }, 'could not audit admin key failures'));
  };
  const throttle = new AdminAuthThrottle(budget, {
    throttled: (b) => record('admin_auth.throttled', b),
    ended: (b) => record('admin_auth.failure_burst', b),
  });
  return {
    refusal(req) {
      // No credential at all is not a guess: nothing to count.
      if ((req.headers.authorization ?? '').trim() === '')
        return new HttpError('unauthorized', 'missing or invalid admin API key');
      return throttle.fail(sourceAddress(req, config.TRUSTED_PROXIES));
    },
    close: () => throttle.close(),
  };
}

/** tRPC's form of the refusal: only a throttled one is thrown here; the 401 stays with the procedures. */
export function throwIfThrottled(guard: AdminAuthGuard, req: IncomingMessage, res: ServerResponse): void {
  const refusal = guard.refusal(req);
  if (refusal.status !== 429) return;
  for (const [k, v] of Object.entries(refusal.headers)) res.setHeader(k, v);
  throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: refusal.message });
}
