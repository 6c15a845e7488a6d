// `requests list`: what the archive answered producers, and why (the request log).
import type { Command } from '../command';
import { UsageError } from '../errors';
import { table, toJson, truncate } from '../output';

function parseStatus(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[1-5]\d\d$/.test(raw.trim()))
    throw new UsageError(
      `requests list: --status takes an HTTP status such as 401; got ${JSON.stringify(raw)}`,
    );
  return Number(raw.trim());
}

function parseLimit(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > 500)
    throw new UsageError(`requests list: --limit takes 1 to 500; got ${JSON.stringify(raw)}`);
  return Number(raw.trim());
}

function parseTime(raw: string | undefined, name: string): string | undefined {
  if (raw === undefined) return undefined;
  const t = new Date(raw);
  if (!/^\d{4}-\d\d-\d\d/.test(raw) || Number.isNaN(t.getTime()))
    throw new UsageError(`requests list: --${name} takes an ISO date-time; got ${JSON.stringify(raw)}`);
  return t.toISOString();
}

export const requestCommands: Command[] = [
  {
    name: 'requests list',
    args: [],
    options: ['endpoint', 'status', 'code', 'since', 'until', 'limit', 'cursor'],
    validate(opts) {
      parseStatus(opts.status);
      parseLimit(opts.limit);
      parseTime(opts.since, 'since');
      parseTime(opts.until, 'until');
    },
    async run(ctx) {
      const page = await ctx.api.requests.list.query({
        endpointId: ctx.opts.endpoint,
        status: parseStatus(ctx.opts.status),
        code: ctx.opts.code,
        from: parseTime(ctx.opts.since, 'since'),
        to: parseTime(ctx.opts.until, 'until'),
        cursor: ctx.opts.cursor,
        limit: parseLimit(ctx.opts.limit) ?? 50,
      });
      if (ctx.json) return ctx.out(toJson(page));
      if (page.items.length === 0) return ctx.out('No requests recorded for these filters.\n');
      ctx.out(
        table(
          ['AT', 'STATUS', 'CODE', 'REASON', 'SOURCE IP', 'BYTES', 'ENDPOINT'],
          page.items.map((r) => [
            r.at,
            String(r.status),
            r.code,
            truncate(r.reason, 48),
            r.source_ip ?? '-',
            r.body_bytes === null ? '-' : String(r.body_bytes),
            r.endpoint_id ?? '-',
          ]),
        ),
      );
      if (page.next_cursor) ctx.out(`\nMore: --cursor ${page.next_cursor}\n`);
    },
  },
];
