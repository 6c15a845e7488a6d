// scripts/admin reconcile --endpoint ID --file ids.txt [--since ISO --until ISO]
// The producer's own list against the archive: one external id (or "id sha256") a line.
import { readFileSync } from 'node:fs';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { clean, toJson } from '../output';

const BATCH = 10_000; // messages.reconcile's limit per call

export function parseIdFile(text: string): { external_id: string; sha256?: string }[] {
  const items: { external_id: string; sha256?: string }[] = [];
  text.split(/\r?\n/).forEach((line, n) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const [id, sha, extra] = t.split(/\s+/);
    if (extra !== undefined || (sha !== undefined && !/^[0-9a-fA-F]{64}$/.test(sha)))
      throw new UsageError(`reconcile: line ${n + 1}: expected "external_id" or "external_id sha256"`);
    items.push(
      sha ? { external_id: id as string, sha256: sha.toLowerCase() } : { external_id: id as string },
    );
  });
  return items;
}

function readIdFile(file: string) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`reconcile: cannot read ${file}: ${(e as Error).message}`);
  }
  return parseIdFile(text);
}

export const reconcileCommands: Command[] = [
  {
    name: 'reconcile',
    args: [],
    options: ['endpoint', 'file', 'since', 'until'],
    validate(opts) {
      if (!opts.endpoint) throw new UsageError('reconcile: missing --endpoint');
      if (!opts.file) throw new UsageError('reconcile: missing --file');
      if ((opts.since === undefined) !== (opts.until === undefined))
        throw new UsageError('reconcile: give both --since and --until, or neither');
      readIdFile(opts.file); // a bad file is a usage error (exit 2), found before any request
    },
    async run(ctx) {
      const items = readIdFile(ctx.opts.file as string);
      const total = {
        matched: 0,
        missing: [] as string[],
        mismatched: [] as unknown[],
        unexpected: new Set<string>(),
      };
      const listed = new Set(items.map((i) => i.external_id));
      const window = ctx.opts.since ? { receivedFrom: ctx.opts.since, receivedTo: ctx.opts.until } : {};
      for (let i = 0; i < Math.max(items.length, 1); i += BATCH) {
        const r = await ctx.api.messages.reconcile.mutate({
          endpointId: ctx.opts.endpoint as string,
          items: items.slice(i, i + BATCH),
          ...window,
        });
        total.matched += r.matched;
        total.missing.push(...r.missing);
        total.mismatched.push(...r.mismatched);
        // Per batch, "unexpected" is relative to that batch: keep only ids in no batch at all.
        for (const id of r.unexpected ?? []) if (!listed.has(id)) total.unexpected.add(id);
      }
      const result = {
        matched: total.matched,
        missing: total.missing,
        mismatched: total.mismatched,
        ...(ctx.opts.since ? { unexpected: [...total.unexpected] } : {}),
      };
      if (ctx.json) return ctx.out(toJson(result));
      ctx.out(
        `matched ${result.matched}, missing ${result.missing.length}, mismatched ${result.mismatched.length}` +
          (result.unexpected ? `, unexpected ${result.unexpected.length}` : '') +
          '\n',
      );
      for (const id of result.missing) ctx.out(`missing     ${clean(id)}\n`);
      for (const m of result.mismatched as { external_id: string; archived_sha256: string }[])
        ctx.out(`mismatched  ${clean(m.external_id)} (archived ${m.archived_sha256})\n`);
      for (const id of result.unexpected ?? []) ctx.out(`unexpected  ${clean(id)}\n`);
    },
  },
];
