import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../server/trpc/root';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { clean, cleanMultiline, indent, keyValues, table, toJson, truncate } from '../output';

type Outputs = inferRouterOutputs<AppRouter>['messages'];
type Participant = NonNullable<Outputs['get']['from']>;

const participant = (p: Participant) =>
  p.display_name ? `${p.display_name} <${p.identifier}>` : p.identifier;

function parseLimit(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()))
    throw new UsageError(`messages list: --limit must be a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw.trim());
}

const formatBytes = (n: number) => `${n} bytes`;

export const messageCommands: Command[] = [
  {
    name: 'messages list',
    args: [],
    options: ['endpoint', 'limit', 'cursor'],
    validate(opts) {
      parseLimit(opts.limit);
    },
    async run(ctx) {
      const page = await ctx.api.messages.list.query({
        endpointId: ctx.opts.endpoint,
        cursor: ctx.opts.cursor,
        limit: parseLimit(ctx.opts.limit),
      });
      if (ctx.json) return ctx.out(toJson(page));
      if (page.items.length === 0) {
        ctx.out(ctx.opts.cursor ? 'No more messages.\n' : 'No messages.\n');
      } else {
        ctx.out(
          table(
            ['ID', 'RECEIVED', 'STATUS', 'EXTERNAL ID', 'FROM'],
            page.items.map((m) => [
              m.id,
              m.receivedAt,
              m.status,
              truncate(m.externalId, 32),
              m.from ? truncate(participant(m.from), 40) : '-',
            ]),
          ),
        );
      }
      if (page.nextCursor) {
        // The cursor is opaque base64url; shown as-is for the next call.
        const next = ['messages list'];
        if (ctx.opts.endpoint) next.push(`--endpoint ${ctx.opts.endpoint}`);
        if (ctx.opts.limit) next.push(`--limit ${ctx.opts.limit}`);
        next.push(`--cursor ${page.nextCursor}`);
        ctx.out(`\nMore messages: ${clean(next.join(' '))}\n`);
      }
    },
  },
  {
    name: 'messages show',
    args: ['id'],
    options: [],
    async run(ctx) {
      const m = await ctx.api.messages.get.query({ id: ctx.args[0]! });
      if (ctx.json) return ctx.out(toJson(m));
      const extra = Object.keys(m.extra ?? {}).length ? JSON.stringify(m.extra) : null;
      ctx.out(
        keyValues([
          ['id', m.id],
          ['endpoint', m.endpointId],
          ['external id', m.externalId],
          ['status', m.status],
          ['error', m.error],
          ['occurred', m.occurredAt],
          ['received', m.receivedAt],
          ['archived', m.archivedAt],
          ['from', m.from ? participant(m.from) : null],
          ['to', m.to ? m.to.map(participant).join(', ') || '(none)' : null],
          ['source ip', m.sourceIp],
          ['request id', m.requestId],
          ['raw size', formatBytes(m.rawSize)],
          ['raw sha256', m.rawSha256],
          ['workflow id', m.workflowId],
          ['manifest key', m.manifestKey],
          ['extra', extra],
        ]),
      );
      ctx.out(m.body === null ? 'body: (none)\n' : `body:\n${indent(cleanMultiline(m.body))}\n`);
      if (m.attachments.length === 0) return ctx.out('attachments: (none)\n');
      ctx.out(`attachments (${m.attachments.length}):\n`);
      ctx.out(
        indent(
          table(
            ['#', 'FILENAME', 'TYPE', 'SIZE', 'STATUS', 'SOURCE', 'SHA256 / ERROR'],
            m.attachments.map((a) => [
              String(a.ordinal),
              truncate(a.filename, 40),
              a.contentType,
              a.size === null ? '-' : String(a.size),
              a.status,
              a.source === 'url' && a.url ? `url ${truncate(a.url, 60)}` : a.source,
              a.error ?? a.sha256 ?? '-',
            ]),
          ),
        ),
      );
    },
  },
];
