import { initTRPC, TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { isAllowed } from '../auth/permissions';
import type { Context } from './context';
import { RefusalError } from './refusal';

const t = initTRPC.context<Context>().create({
  // Never send stack traces to a client, whatever NODE_ENV says.
  isDev: false,
  // Input validation failures carry zod's issues as data (`data.issues`), so the web client and
  // the CLI point at the field without parsing the message.
  errorFormatter({ shape, error, ctx }) {
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      ctx?.log.error({ err: error.cause ?? error, path: shape.data.path }, 'admin procedure failed');
      return {
        ...shape,
        message: 'internal error',
        data: { ...shape.data, issues: null, reason: undefined },
      };
    }
    const issues =
      error.cause instanceof ZodError
        ? error.cause.issues.map((i) => ({
            path: i.path.filter((p): p is string | number => typeof p !== 'symbol'),
            message: i.message,
          }))
        : null;
    // A refusal's machine-readable reason (message_archived, …) beside tRPC's generic code;
    // undefined (absent on the wire) for every other error.
    const reason = error instanceof RefusalError ? error.reason : undefined;
    return { ...shape, data: { ...shape.data, issues, reason } };
  },
});

export const router = t.router;
export const publicProcedure = t.procedure;

/**
 * Every admin procedure: needs a valid API key or UI session, sees only its tenant, and needs a
 * role allowed for this procedure's path in apps/server/auth/permissions.ts (none listed: nobody).
 */
export const tenantProcedure = t.procedure.use(({ ctx, next, path }) => {
  if (ctx.csrfRejected) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'missing or invalid CSRF token (X-CSRF-Token)' });
  }
  if (!ctx.principal) {
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: 'missing or invalid admin API key',
    });
  }
  if (!isAllowed(path, ctx.principal.role)) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: `the ${ctx.principal.role} role may not call ${path}`,
    });
  }
  return next({ ctx: { ...ctx, principal: ctx.principal } });
});

export type TenantContext = Context & { principal: NonNullable<Context['principal']> };
