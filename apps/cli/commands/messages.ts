import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../server/trpc/root';
import type { Command } from '../command';
import type { AdminClient } from '../connection';
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

type Summary = Outputs['list']['items'][number];

function messageTable(items: Summary[]): string {
  return table(
    ['ID', 'RECEIVED', 'STATUS', 'EXTERNAL ID', 'FROM'],
    items.map((m) => [
      m.id,
      m.receivedAt,
      m.status,
      truncate(m.externalId, 32),
      m.from ? truncate(participant(m.from), 40) : '-',
    ]),
  );
}

function parseStatuses(raw: string | undefined) {
  if (raw === undefined) return undefined;
  const all = ['received', 'stored', 'archived', 'failed'] as const;
  const list = raw.split(',').map((s) => s.trim());
  for (const s of list) {
    if (!(all as readonly string[]).includes(s)) {
      throw new UsageError(`messages search: --status takes ${all.join(', ')}; got ${JSON.stringify(s)}`);
    }
  }
  return list as (typeof all)[number][];
}

function parseYesNo(raw: string | undefined): boolean | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'yes' || raw === 'true') return true;
  if (raw === 'no' || raw === 'false') return false;
  throw new UsageError(`messages search: --attachments takes yes or no; got ${JSON.stringify(raw)}`);
}

type ExtraFilter = NonNullable<Parameters<AdminClient['messages']['search']['query']>[0]['extra']>;

function parseExtra(raw: string | undefined): ExtraFilter | undefined {
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as ExtraFilter;
  } catch {}
  throw new UsageError(
    'messages search: --extra takes a JSON object, e.g. \'{"ticket":{"priority":"high"}}\'',
  );
}

export const messageCommands: Command[] = [
  {
    name: 'messages counts',
    args: [],
    options: ['endpoint'],
    async run(ctx) {
      const c = await ctx.api.messages.counts.query({ endpointId: ctx.opts.endpoint });
      if (ctx.json) return ctx.out(toJson(c));
      const b = c.backlog;
      const minutes = Math.round(c.stuckAfterMs / 60_000);
      ctx.out(
        keyValues([
          ['total', String(c.total)],
          ['archived', String(c.archived)],
          ['in progress', String(c.received + c.stored)],
          ['failed', String(c.failed)],
          ['stuck', `${c.stuck}${c.stuck > 0 ? `  (unarchived for over ${minutes} min)` : ''}`],
          ['backlog', `${b.messages} acknowledged, not yet archived (${formatBytes(b.bytes)})`],
          [
            'oldest waiting',
            b.oldestReceivedAt ? `${b.oldestReceivedAt} (${b.oldestAgeSeconds} s ago)` : '-',
          ],
        ]),
      );
    },
  },
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
        ctx.out(messageTable(page.items));
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
          [
            'escaped',
            m.escapedFields.length > 0
              ? `${m.escapedFields.map(clean).join(', ')} (stored as ${m.escapeScheme}; shown as sent)`
              : null,
          ],
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
  {
    name: 'messages search',
    args: [],
    options: [
      'q',
      'endpoint',
      'participant',
      'status',
      'since',
      'until',
      'attachments',
      'extra',
      'limit',
      'cursor',
    ],
    validate(opts) {
      parseLimit(opts.limit);
      parseStatuses(opts.status);
      parseYesNo(opts.attachments);
      parseExtra(opts.extra);
    },
    async run(ctx) {
      const o = ctx.opts;
      const page = await ctx.api.messages.search.query({
        q: o.q,
        endpointId: o.endpoint,
        participant: o.participant,
        status: parseStatuses(o.status),
        occurredFrom: o.since,
        occurredTo: o.until,
        hasAttachments: parseYesNo(o.attachments),
        extra: parseExtra(o.extra),
        cursor: o.cursor,
        limit: parseLimit(o.limit),
      });
      if (ctx.json) return ctx.out(toJson(page));
      if (page.items.length === 0) return ctx.out('No matching messages.\n');
      ctx.out(messageTable(page.items));
      ctx.out(`\n${page.total.exact ? '' : 'about '}${page.total.value} matching\n`);
      if (page.nextCursor) ctx.out(`Next page: add --cursor ${clean(page.nextCursor)}\n`);
    },
  },
  {
    name: 'messages verify',
    args: ['id'],
    options: [],
    async run(ctx) {
      const result = await ctx.api.messages.verify.mutate({ id: ctx.args[0]! });
      if (ctx.json) return ctx.out(toJson(result));
      ctx.out(toJson(result));
      if (!result.ok) throw new Error(`message ${ctx.args[0]} failed verification`);
    },
  },
  {
    name: 'messages reprocess',
    args: ['id'],
    options: [],
    async run(ctx) {
      const r = await ctx.api.messages.reprocess.mutate({ id: ctx.args[0]! });
      if (ctx.json) return ctx.out(toJson(r));
      ctx.out(
        keyValues([
          ['message', r.messageId],
          ['was', r.previous],
          ['workflow', r.workflowId],
          [
            'run',
            r.started
              ? r.previous === 'stuck'
                ? 'the stuck run was terminated; a new run archives it from the stored bytes'
                : 'started; it archives the message from the stored bytes'
              : 'Temporal is unreachable; the relay starts it once it is back',
          ],
        ]),
      );
    },
  },
  {
    name: 'messages download',
    args: ['id'],
    options: ['attachment', 'out'],
    validate(opts) {
      if (opts.attachment !== undefined && !/^\d+$/.test(opts.attachment)) {
        throw new UsageError('messages download: --attachment takes the attachment number (0, 1, ...)');
      }
    },
    async run(ctx) {
      const { apiUrl, adminKey } = ctx.connection;
      const id = encodeURIComponent(ctx.args[0]!);
      const what = ctx.opts.attachment === undefined ? 'raw' : `attachments/${ctx.opts.attachment}`;
      const res = await fetch(`${apiUrl}/api/messages/${id}/${what}`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      if (!res.ok || !res.body) {
        const body = (await res.json().catch(() => null)) as {
          error?: { code: string; message: string };
        } | null;
        throw new Error(`${body?.error?.code ?? res.status}: ${body?.error?.message ?? res.statusText}`);
      }
      const expected = res.headers.get('x-content-sha256') ?? '';
      const hash = createHash('sha256');
      const { Readable } = await import('node:stream');
      const source = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
      source.on('data', (chunk: Buffer) => hash.update(chunk));
      // The server cuts the connection if the stored bytes fail its check; we check again here.
      if (ctx.opts.out) await pipeline(source, createWriteStream(ctx.opts.out));
      else await pipeline(source, process.stdout);
      const actual = hash.digest('hex');
      if (actual !== expected) throw new Error(`downloaded bytes hash to ${actual}, expected ${expected}`);
      if (ctx.opts.out) ctx.out(`wrote ${ctx.opts.out} (sha256 ${actual} verified)\n`);
    },
  },
];
