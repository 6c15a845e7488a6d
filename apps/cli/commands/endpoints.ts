import type { inferRouterOutputs } from '@trpc/server';
import { SOURCE_INFO } from '../../../lib/sources/catalog';
import { SOURCE_KINDS, type SourceKind } from '../../../lib/sources/config';
import type { AppRouter } from '../../server/trpc/root';
import { type Command, type CommandContext, type OptionValues, requireOption, splitList } from '../command';
import { UsageError } from '../errors';
import { keyValues, table, toJson, truncate } from '../output';

type Outputs = inferRouterOutputs<AppRouter>['endpoints'];
type EndpointView = Outputs['list'][number] & Partial<Pick<Outputs['get'], 'ingest'>>;

const AUTH_MODES = ['bearer', 'hmac'] as const;
type AuthMode = (typeof AUTH_MODES)[number];

export const SECRET_WARNING = 'This secret is shown only once. Store it now; rotate if lost.';

const allowlistText = (list: string[]) => (list.length ? list.join(', ') : 'any address');
const state = (e: EndpointView) => (e.enabled ? 'enabled' : 'disabled');

function endpointDetails(e: EndpointView, { withUrl = true } = {}): string {
  return keyValues([
    ['id', e.id],
    ['name', e.name],
    ['source', e.source === 'comma' ? null : SOURCE_INFO[e.source].label],
    ['auth', e.source === 'comma' ? e.authMode : null],
    ['state', state(e)],
    ['allowlist', allowlistText(e.ipAllowlist)],
    ['rate limit', `${e.rateLimit.perSecond}/s, burst ${e.rateLimit.burst}`],
    [
      'ingest',
      e.ingest
        ? `${e.ingest.admitted} admitted (${e.ingest.queued} after queueing), ${e.ingest.rejected} rate-limited`
        : null,
    ],
    ['url', withUrl ? e.url : null],
    ['created', e.createdAt],
    ['updated', e.updatedAt],
    ['secret rotated', e.secretRotatedAt],
  ]);
}

/** How a producer presents the secret, per auth mode (see apps/server/ingest/authenticate.ts). */
function producerHint(e: EndpointView): string {
  if (e.source !== 'comma') return `In ${SOURCE_INFO[e.source].label}: ${SOURCE_INFO[e.source].setup}`;
  return e.authMode === 'bearer'
    ? 'Producers send it as: Authorization: Bearer <secret>'
    : 'Producers sign each body with it: X-Comma-Signature: hex(HMAC-SHA256(secret, raw body))';
}

/** The URL and the secret, set apart so they cannot be missed, then the once-only warning. */
function secretBlock(e: EndpointView, secret: string): string {
  return [
    '',
    keyValues([
      ['  URL', e.url],
      ['  Secret', secret],
    ]).trimEnd(),
    '',
    `  ${producerHint(e)}`,
    '',
    `!! ${SECRET_WARNING}`,
    '',
  ].join('\n');
}

function validateAllow(opts: OptionValues, command: string) {
  const list = splitList(opts.allow);
  if (list !== undefined && list.length === 0) {
    throw new UsageError(
      `${command}: --allow needs an IP address or CIDR range${command.endsWith('update') ? ' (use --clear-allowlist to allow any address)' : ''}`,
    );
  }
}

const id = (ctx: CommandContext) => ctx.args[0]!;

/** A JSON option's value (the server validates its shape); a usage error if it isn't JSON. */
// biome-ignore lint/suspicious/noExplicitAny: the admin API's zod schema checks the shape.
function jsonOption(text: string | undefined, option: string, command: string): any {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${command}: ${option} must be JSON, e.g. '{"header":"x-signature"}'`);
  }
}

async function setEnabled(ctx: CommandContext, enabled: boolean) {
  const e = await ctx.api.endpoints.update.mutate({ id: id(ctx), enabled });
  if (ctx.json) return ctx.out(toJson(e));
  ctx.out(
    `Endpoint ${e.id} (${e.name}) is ${state(e)}: ${enabled ? 'its URL accepts webhooks again.' : 'its URL now rejects every webhook.'}\n`,
  );
}

export const endpointCommands: Command[] = [
  {
    name: 'endpoints create',
    args: [],
    options: ['name', 'auth', 'allow', 'source', 'secret', 'custom-hmac', 'mapping'],
    validate(opts) {
      requireOption(opts, 'name', this.name);
      const source = opts.source ?? 'comma';
      if (!(SOURCE_KINDS as readonly string[]).includes(source)) {
        throw new UsageError(
          `${this.name}: --source must be one of ${SOURCE_KINDS.join(', ')}, got ${JSON.stringify(source)}`,
        );
      }
      if (source === 'comma') {
        const auth = requireOption(opts, 'auth', this.name);
        if (!(AUTH_MODES as readonly string[]).includes(auth)) {
          throw new UsageError(`${this.name}: --auth must be bearer or hmac, got ${JSON.stringify(auth)}`);
        }
      } else if (opts.auth !== undefined) {
        throw new UsageError(
          `${this.name}: --auth is for the contract's own endpoints; ${source} signs its own way`,
        );
      }
      jsonOption(opts['custom-hmac'], '--custom-hmac', this.name);
      jsonOption(opts.mapping, '--mapping', this.name);
      validateAllow(opts, this.name);
    },
    async run(ctx) {
      const source = (ctx.opts.source ?? 'comma') as SourceKind;
      const res = await ctx.api.endpoints.create.mutate({
        name: ctx.opts.name!,
        source,
        ...(source === 'comma' ? { authMode: ctx.opts.auth as AuthMode } : {}),
        ...(ctx.opts.secret !== undefined ? { secret: ctx.opts.secret } : {}),
        ...(ctx.opts['custom-hmac'] !== undefined
          ? { customHmac: jsonOption(ctx.opts['custom-hmac'], '--custom-hmac', this.name) }
          : {}),
        ...(ctx.opts.mapping !== undefined
          ? { mapping: jsonOption(ctx.opts.mapping, '--mapping', this.name) }
          : {}),
        ipAllowlist: splitList(ctx.opts.allow),
      });
      if (ctx.json) return ctx.out(toJson(res));
      ctx.out(`Endpoint created.\n${endpointDetails(res.endpoint, { withUrl: false })}`);
      ctx.out(secretBlock(res.endpoint, res.secret));
    },
  },
  {
    name: 'endpoints list',
    args: [],
    options: [],
    async run(ctx) {
      const list = await ctx.api.endpoints.list.query();
      if (ctx.json) return ctx.out(toJson(list));
      if (list.length === 0)
        return ctx.out('No endpoints yet. Create one with: endpoints create --name N --auth bearer|hmac\n');
      ctx.out(
        table(
          ['ID', 'NAME', 'AUTH', 'STATE', 'ALLOWLIST', 'CREATED'],
          list.map((e) => [
            e.id,
            truncate(e.name, 40),
            e.source === 'comma' ? e.authMode : e.source,
            state(e),
            truncate(allowlistText(e.ipAllowlist), 40),
            e.createdAt,
          ]),
        ),
      );
    },
  },
  {
    name: 'endpoints show',
    args: ['id'],
    options: [],
    async run(ctx) {
      const e = await ctx.api.endpoints.get.query({ id: id(ctx) });
      ctx.out(ctx.json ? toJson(e) : endpointDetails(e));
    },
  },
  {
    name: 'endpoints update',
    args: ['id'],
    options: ['name', 'allow', 'clear-allowlist'],
    validate(opts) {
      validateAllow(opts, this.name);
      if (opts.allow !== undefined && opts['clear-allowlist']) {
        throw new UsageError(`${this.name}: give either --allow or --clear-allowlist, not both`);
      }
      if (opts.name === undefined && opts.allow === undefined && !opts['clear-allowlist']) {
        throw new UsageError(`${this.name}: nothing to update: give --name, --allow or --clear-allowlist`);
      }
    },
    async run(ctx) {
      const e = await ctx.api.endpoints.update.mutate({
        id: id(ctx),
        name: ctx.opts.name,
        ipAllowlist: ctx.opts['clear-allowlist'] ? [] : splitList(ctx.opts.allow),
      });
      ctx.out(ctx.json ? toJson(e) : `Endpoint updated.\n${endpointDetails(e)}`);
    },
  },
  {
    name: 'endpoints rotate',
    args: ['id'],
    options: ['secret'],
    async run(ctx) {
      const res = await ctx.api.endpoints.rotateSecret.mutate({
        id: id(ctx),
        ...(ctx.opts.secret !== undefined ? { secret: ctx.opts.secret } : {}),
      });
      if (ctx.json) return ctx.out(toJson(res));
      ctx.out(`Rotated the secret of endpoint ${res.endpoint.id} (${res.endpoint.name}).\n`);
      ctx.out('The old secret stopped working just now; give producers the new one.\n');
      ctx.out(secretBlock(res.endpoint, res.secret));
    },
  },
  {
    name: 'endpoints enable',
    args: ['id'],
    options: [],
    run: (ctx) => setEnabled(ctx, true),
  },
  {
    name: 'endpoints disable',
    args: ['id'],
    options: [],
    run: (ctx) => setEnabled(ctx, false),
  },
  {
    name: 'endpoints delete',
    args: ['id'],
    options: [],
    async run(ctx) {
      const res = await ctx.api.endpoints.delete.mutate({ id: id(ctx) });
      if (ctx.json) return ctx.out(toJson(res));
      ctx.out(`Deleted endpoint ${res.id}: its URL no longer resolves. Archived messages are kept.\n`);
    },
  },
];
