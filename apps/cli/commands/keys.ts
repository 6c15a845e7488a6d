// scripts/admin keys create|list|revoke: scoped API keys (apiKeys.* procedures, admin only).
import type { inferRouterOutputs } from '@trpc/server';
import { ROLES, type Role } from '../../../lib/roles';
import type { AppRouter } from '../../server/trpc/root';
import { type Command, requireOption } from '../command';
import { UsageError } from '../errors';
import { keyValues, table, toJson, truncate } from '../output';

type KeyView = inferRouterOutputs<AppRouter>['apiKeys']['list'][number];

export const KEY_WARNING = 'This key is shown only once. Store it now; revoke it and create another if lost.';

function keyDetails(k: KeyView): string {
  return keyValues([
    ['id', k.id],
    ['name', k.name],
    ['role', k.role],
    ['prefix', k.keyPrefix],
    ['state', k.state],
    ['created', k.createdAt],
    ['expires', k.expiresAt ?? 'never'],
    ['revoked', k.revokedAt],
  ]);
}

/** ISO 8601 with an offset, or a relative duration like 90d / 12h. */
export function parseExpiry(value: string, now = Date.now()): string {
  const rel = /^(\d{1,5})([dh])$/.exec(value.trim());
  if (rel) return new Date(now + Number(rel[1]) * (rel[2] === 'd' ? 86_400_000 : 3_600_000)).toISOString();
  const t = Date.parse(value);
  if (!/T.*(Z|[+-]\d\d:\d\d)$/.test(value) || Number.isNaN(t)) {
    throw new UsageError(
      `keys create: --expires must be like 90d, 12h or 2027-01-01T00:00:00Z, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export const keyCommands: Command[] = [
  {
    name: 'keys create',
    args: [],
    options: ['name', 'role', 'expires'],
    validate(opts) {
      requireOption(opts, 'name', this.name);
      const role = requireOption(opts, 'role', this.name);
      if (!(ROLES as readonly string[]).includes(role)) {
        throw new UsageError(
          `${this.name}: --role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`,
        );
      }
      if (opts.expires !== undefined) parseExpiry(opts.expires);
    },
    async run(ctx) {
      const res = await ctx.api.apiKeys.create.mutate({
        name: ctx.opts.name!,
        role: ctx.opts.role as Role,
        expiresAt: ctx.opts.expires === undefined ? undefined : parseExpiry(ctx.opts.expires),
      });
      if (ctx.json) return ctx.out(toJson(res));
      ctx.out(
        `API key created.\n${keyDetails(res)}\n${keyValues([['  Key', res.key]])}\n!! ${KEY_WARNING}\n`,
      );
    },
  },
  {
    name: 'keys list',
    args: [],
    options: [],
    async run(ctx) {
      const list = await ctx.api.apiKeys.list.query();
      if (ctx.json) return ctx.out(toJson(list));
      ctx.out(
        table(
          ['ID', 'NAME', 'ROLE', 'PREFIX', 'STATE', 'EXPIRES', 'CREATED'],
          list.map((k) => [
            k.id,
            truncate(k.name, 30),
            k.role,
            k.keyPrefix,
            k.state,
            k.expiresAt ?? 'never',
            k.createdAt,
          ]),
        ),
      );
    },
  },
  {
    name: 'keys revoke',
    args: ['id'],
    options: [],
    async run(ctx) {
      const k = await ctx.api.apiKeys.revoke.mutate({ id: ctx.args[0]! });
      if (ctx.json) return ctx.out(toJson(k));
      ctx.out(`Revoked API key ${k.id} (${k.name}): it is refused from now on.\n`);
    },
  },
];
