// Inner context (what procedures use) is separate from the HTTP layer, so procedures can be
// called directly in tests with a real database and no server.
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import { authenticate, type Principal } from '../auth/principal';
import type { ServerDeps } from '../deps';
import { type AdminAuthGuard, throwIfThrottled } from '../http/admin-auth-guard';

export type { Principal };

export interface Context extends ServerDeps {
  principal: Principal | null;
  /** A cookie-authenticated request came without its CSRF token: refused as FORBIDDEN. */
  csrfRejected?: boolean;
}

export function createInnerContext(
  deps: ServerDeps,
  principal: Principal | null,
  csrfRejected = false,
): Context {
  return { ...deps, principal, csrfRejected };
}

export function createHttpContextFactory(deps: ServerDeps, guard?: AdminAuthGuard) {
  return async ({ req, res }: CreateHTTPContextOptions): Promise<Context> => {
    const { principal, csrfRejected } = await authenticate(deps, req);
    // A credential that didn't resolve spends the address's failure budget (429 once it is out).
    if (!principal && guard) throwIfThrottled(guard, req, res);
    return createInnerContext(deps, principal, csrfRejected);
  };
}
