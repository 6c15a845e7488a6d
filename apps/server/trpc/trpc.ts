import { initTRPC, TRPCError } from '@trpc/server';
import type { Context } from './context';

const t = initTRPC.context<Context>().create({
  // Never send stack traces to a client, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error, ctx }) {
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      ctx?.log.error({ err: error.cause ?? error, path: shape.data.path }, 'admin procedure failed');
      return { ...shape, message: 'internal error' };
    }
    return shape;
  },
});

export const router = t.router;
export const publicProcedure = t.procedure;

/** Every admin procedure: needs a valid admin key, and sees only that key's tenant. */
export const tenantProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.principal) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'missing or invalid admin API key' });
  }
  return next({ ctx: { ...ctx, principal: ctx.principal } });
});

export type TenantContext = Context & { principal: NonNullable<Context['principal']> };
