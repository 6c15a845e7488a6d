import { router, tenantProcedure } from '../../trpc';

export const authRouter = router({
  /** Who the caller is: the UI shows only what this role may use. */
  whoami: tenantProcedure.query(({ ctx }) => ({
    role: ctx.principal.role,
    actor: ctx.principal.actor,
    via: ctx.principal.via,
  })),
});
