// scripts/admin export create|show|list|download: bundles for regulators and e-discovery.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../server/trpc/root';
import type { Command, CommandContext } from '../command';
import { UsageError } from '../errors';
import { keyValues, table, toJson } from '../output';

type ExportView = inferRouterOutputs<AppRouter>['exports']['get'];

const FORMATS = ['rsmf', 'eml', 'jsonl'] as const;
type Format = (typeof FORMATS)[number];

function parseFormats(raw: string | undefined): Format[] | undefined {
  if (raw === undefined) return undefined;
  const list = raw.split(',').map((s) => s.trim());
  for (const f of list)
    if (!(FORMATS as readonly string[]).includes(f))
      throw new UsageError(`export create: --formats takes ${FORMATS.join(', ')}; got ${JSON.stringify(f)}`);
  return list as Format[];
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** `[#######.......]  42%  420/1000 messages  12.3 MB` on one redrawn line. */
export function progressBar(done: number, total: number, suffix: string, width = 30): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(ratio * width);
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${suffix}`;
}

function describe(e: ExportView): string {
  return keyValues([
    ['id', e.id],
    ['state', e.state],
    ['progress', `${e.progress.done}/${e.progress.total} messages, ${mb(e.progress.bytes)}`],
    ['error', e.error ?? null],
    ['window', `${e.filters.from} .. ${e.filters.to}`],
    ['endpoint', e.filters.endpointId ?? '(all)'],
    ['query', e.filters.q ?? null],
    ['formats', e.filters.formats.join(', ')],
    ['created', e.createdAt],
    ['completed', e.completedAt],
    ['size', e.size === null ? null : `${e.size} bytes`],
    ['sha256', e.sha256],
  ]);
}

async function follow(ctx: CommandContext, id: string): Promise<ExportView> {
  for (;;) {
    const e = await ctx.api.exports.get.query({ id });
    const p = e.progress;
    ctx.progress?.(progressBar(p.done, p.total, `${p.done}/${p.total} messages  ${mb(p.bytes)}`));
    if (e.state !== 'running') {
      ctx.progress?.('\n');
      return e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export const exportCommands: Command[] = [
  {
    name: 'export create',
    args: [],
    options: ['from', 'to', 'endpoint', 'q', 'formats', 'wait'],
    validate(opts) {
      if (!opts.from || !opts.to)
        throw new UsageError('export create: --from and --to are required (ISO 8601)');
      parseFormats(opts.formats);
    },
    async run(ctx) {
      const o = ctx.opts;
      const { id } = await ctx.api.exports.create.mutate({
        from: o.from!,
        to: o.to!,
        endpointId: o.endpoint,
        q: o.q,
        formats: parseFormats(o.formats),
      });
      if (!(o.wait || ctx.progress)) return ctx.out(ctx.json ? toJson({ id }) : `${id}\n`);
      const e = await follow(ctx, id);
      ctx.out(ctx.json ? toJson(e) : describe(e));
      if (e.state === 'failed') throw new Error(`export ${id} failed: ${e.error ?? 'unknown error'}`);
    },
  },
  {
    name: 'export show',
    args: ['id'],
    options: [],
    async run(ctx) {
      const e = await ctx.api.exports.get.query({ id: ctx.args[0]! });
      ctx.out(ctx.json ? toJson(e) : describe(e));
    },
  },
  {
    name: 'export list',
    args: [],
    options: [],
    async run(ctx) {
      const { items } = await ctx.api.exports.list.query();
      if (ctx.json) return ctx.out(toJson({ items }));
      if (items.length === 0) return ctx.out('No exports.\n');
      ctx.out(
        table(
          ['ID', 'CREATED', 'STATE', 'PROGRESS', 'SIZE'],
          items.map((e) => [
            e.id,
            e.createdAt,
            e.state,
            `${e.progress.done}/${e.progress.total}`,
            e.size === null ? '-' : mb(e.size),
          ]),
        ),
      );
    },
  },
  {
    name: 'export download',
    args: ['id'],
    options: ['out'],
    validate(opts) {
      if (!opts.out) throw new UsageError('export download: --out FILE is required (a bundle is binary)');
    },
    async run(ctx) {
      const { apiUrl, adminKey } = ctx.connection;
      const id = ctx.args[0]!;
      const out = ctx.opts.out!;
      const e = await ctx.api.exports.get.query({ id });
      if (e.state !== 'completed' || !e.downloadPath || !e.sha256 || e.size === null)
        throw new Error(
          `export ${id} is ${e.state}${e.error ? `: ${e.error}` : ''}; ${
            e.state === 'running'
              ? 'nothing to download yet'
              : e.state === 'expired'
                ? 'its bundle was deleted after EXPORT_RETENTION_DAYS'
                : 'nothing to download'
          }`,
        );
      // A partial file from an interrupted download is continued, guarded by If-Range.
      const have = existsSync(out) ? statSync(out).size : 0;
      const resume = have > 0 && have < e.size;
      const headers: Record<string, string> = { authorization: `Bearer ${adminKey}` };
      if (resume) Object.assign(headers, { range: `bytes=${have}-`, 'if-range': `"${e.sha256}"` });
      const res = await fetch(`${apiUrl}${e.downloadPath}`, { headers });
      if (!(res.status === 200 || res.status === 206) || !res.body) {
        const body = (await res.json().catch(() => null)) as {
          error?: { code: string; message: string };
        } | null;
        throw new Error(`${body?.error?.code ?? res.status}: ${body?.error?.message ?? res.statusText}`);
      }
      const appending = res.status === 206;
      let written = appending ? have : 0;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          written += chunk.length;
          ctx.progress?.(progressBar(written, e.size!, `${mb(written)} of ${mb(e.size!)}`));
          cb(null, chunk);
        },
      });
      await pipeline(
        Readable.fromWeb(res.body as WebReadableStream),
        meter,
        createWriteStream(out, appending ? { flags: 'a' } : {}),
      );
      ctx.progress?.('\n');
      // The whole file, however many requests it took, must hash to what the archive recorded.
      const hash = createHash('sha256');
      for await (const c of createReadStream(out)) hash.update(c as Buffer);
      const actual = hash.digest('hex');
      if (actual !== e.sha256) throw new Error(`${out} hashes to ${actual}, expected ${e.sha256}`);
      ctx.out(`wrote ${out} (${e.size} bytes, sha256 ${actual} verified${appending ? ', resumed' : ''})\n`);
    },
  },
];
