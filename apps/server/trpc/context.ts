// Inner context (what procedures use) is separate from the HTTP layer, so procedures can be
// called directly in tests with a real database and no server.
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import { authenticate, type Principal } from '../auth/principal';
import type { ServerDeps } from '../deps';

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

export function createHttpContextFactory(deps: ServerDeps) {
  return async ({ req }: CreateHTTPContextOptions): Promise<Context> => {
    const { principal, csrfRejected } = await authenticate(deps, req);
    return createInnerContext(deps, principal, csrfRejected);
  };
}
