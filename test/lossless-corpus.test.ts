// DESIGN.md invariant 1, for awkward but valid JSON: every 200 becomes a record (archived, shown
// as sent, found by search where that makes sense), or the request is refused with a 4xx before
// any 200. End to end through HTTP and Temporal, on real PostgreSQL and on PGlite.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../apps/cli/cli';
import { ESCAPE_SCHEME } from '../db/storable-text';
import { KNOWN_FIELDS } from '../lib/payload';
import { messageRecordKey } from '../worm/keys';
import { type DbKind, type Stack, startStack } from './helpers/stack';
import { adminClient, trpcError } from './helpers/trpc-client';
import { type Ack, type ErrorBody, postBearer } from './helpers/webhooks';

interface Case {
  name: string;
  /** The exact request body; JSON escapes (\u0000, \udfaa) stay escapes on the wire. */
  raw: string;
  /** JSON Pointers messages.get must list as escaped (decoded), or a 4xx code. */
  expect: { escaped: string[] } | { status: number; code: string };
  /** A search that must find it. */
  search?: (token: string) => Record<string, unknown>;
}

const PARTICIPANTS = '"from":{"identifier":"alice@example.com"},"to":[{"identifier":"bob@example.com"}]';
const head = (id: string) => `"external_id":"${id}","occurred_at":"2026-05-28T14:30:00Z"`;
const msg = (id: string, rest: string) => `{${head(id)},${PARTICIPANTS},${rest}}`;
const deep = (levels: number, leaf: string) => `${'{"d":'.repeat(levels)}${leaf}${'}'.repeat(levels)}`;
const LONG_KEY = 'k'.repeat(100_000);
/** Replaced by the file server's address once it listens. */
const FILE_BASE = '__FILE_BASE__';

function corpus(run: string): Case[] {
  const id = (n: string) => `${run}-${n}`;
  const tok = (n: string) => `tok${run.replaceAll('-', '')}${n}`;
  return [
    {
      name: 'NUL in body',
      raw: msg(id('nul'), `"body":"before \\u0000 after ${tok('nul')}"`),
      expect: { escaped: ['/body'] },
      search: () => ({ q: tok('nul') }),
    },
    {
      name: 'NUL glued inside a word of the body (searched as sent)',
      raw: msg(id('nulword'), `"body":"${tok('nulword')}\\u0000x"`),
      expect: { escaped: ['/body'] },
      search: () => ({ q: `${tok('nulword')}\u0000x` }),
    },
    {
      name: 'lone high surrogate in body',
      raw: msg(id('high'), `"body":"high \\ud83d ${tok('high')}"`),
      expect: { escaped: ['/body'] },
      search: () => ({ q: tok('high') }),
    },
    {
      name: 'lone low surrogate in body',
      raw: msg(id('low'), `"body":"low \\udfaa ${tok('low')}"`),
      expect: { escaped: ['/body'] },
      search: () => ({ q: tok('low') }),
    },
    {
      name: 'paired surrogates (emoji), escaped and literal: stored as is',
      raw: msg(id('emoji'), `"body":"\\ud83d\\ude00 😀 ${tok('emoji')}"`),
      expect: { escaped: [] },
      search: () => ({ q: tok('emoji') }),
    },
    {
      name: 'U+FFFF and the escape character U+E000 itself',
      raw: msg(id('ffff'), `"body":"\\uffff \\ue000 ${tok('ffff')}"`),
      expect: { escaped: ['/body'] },
      search: () => ({ q: tok('ffff') }),
    },
    {
      name: 'NUL and lone surrogate in participants',
      raw: `{${head(id('part'))},"from":{"identifier":"al\\u0000ice@${tok('part')}.example","display_name":"A\\udfaa"},"to":[{"identifier":"bob@example.com","display_name":"\\ud800"}],"body":"x"}`,
      expect: { escaped: ['/from/identifier', '/from/display_name', '/to/0/display_name'] },
      search: () => ({ participant: `AL\u0000ICE@${tok('part')}.example` }),
    },
    {
      name: 'NUL in an extra key, lone surrogate in an extra value',
      raw: msg(id('extra'), `"body":"x","k\\u0000ey":{"v":"\\udfaa ${tok('extra')}"}`),
      expect: { escaped: ['/k\u0000ey', '/k\u0000ey/v'] },
      search: () => ({ extra: { 'k\u0000ey': { v: `\udfaa ${tok('extra')}` } } }),
    },
    {
      name: 'a 100,000-character key',
      raw: msg(id('longkey'), `"body":"x","${LONG_KEY}":"${tok('longkey')}"`),
      expect: { escaped: [] },
      search: () => ({ q: tok('longkey') }),
    },
    {
      name: 'nesting at the 64 limit',
      raw: msg(id('deep'), `"body":"x","nest":${deep(62, `"${tok('deep')}"`)}`),
      expect: { escaped: [] },
      search: () => ({ q: tok('deep') }),
    },
    {
      name: 'duplicate keys: the parsed view keeps the last (JSON.parse); raw bytes keep both',
      raw: msg(id('dup'), `"body":"x","dup":"first","dup":"${tok('dup')}"`),
      expect: { escaped: [] },
      search: () => ({ extra: { dup: tok('dup') } }),
    },
    {
      name: 'huge numbers, -0 and 1e400: the parsed view is an IEEE-754 double, as JSON.parse gives',
      raw: msg(
        id('num'),
        `"body":"${tok('num')}","big":123456789012345678901234567890,"negzero":-0,"over":1e400,"tiny":1e-400`,
      ),
      expect: { escaped: [] },
      search: () => ({ q: tok('num') }),
    },
    {
      name: 'NUL in an attachment filename',
      raw: msg(
        id('att'),
        `"body":"x","attachments":[{"filename":"re\\u0000port.txt","content_type":"text/plain","content_base64":"aGVsbG8="}]`,
      ),
      expect: { escaped: ['/attachments/0/filename'] },
    },
    {
      name: 'NUL and a lone surrogate in an attachment URL: fetched, shown as sent',
      raw: msg(
        id('url'),
        `"body":"x","attachments":[{"filename":"u.txt","content_type":"text/plain","url":"${FILE_BASE}/a\\u0000b\\udfaa"}]`,
      ),
      expect: { escaped: ['/attachments/0/url'] },
    },
    {
      name: 'NUL in external_id (the dedup key): refused',
      raw: msg(`${id('badid')}\\u0000`, '"body":"x"'),
      expect: { status: 422, code: 'validation_failed' },
    },
    {
      name: 'lone surrogate in external_id: refused',
      raw: msg(`${id('badid2')}\\udfaa`, '"body":"x"'),
      expect: { status: 422, code: 'validation_failed' },
    },
    {
      name: 'NUL in a content_type parameter: refused',
      raw: msg(
        id('badtype'),
        `"body":"x","attachments":[{"filename":"a","content_type":"text/plain; x=\\u0000","content_base64":""}]`,
      ),
      expect: { status: 422, code: 'validation_failed' },
    },
    {
      name: 'nesting beyond the 64 limit: refused',
      raw: msg(id('toodeep'), `"body":"x","nest":${deep(64, '1')}`),
      expect: { status: 400, code: 'invalid_json' },
    },
  ];
}

/** What messages.get must show: JSON.parse's view, as JSON can carry it (1e400 → null, -0 → 0). */
function expectedView(raw: string) {
  const parsed = JSON.parse(raw) as Record<string, unknown>;
  const extra = Object.fromEntries(
    Object.entries(parsed).filter(([k]) => !(KNOWN_FIELDS as readonly string[]).includes(k)),
  );
  return JSON.parse(JSON.stringify({ from: parsed.from, to: parsed.to, body: parsed.body, extra }));
}

describe.each<DbKind>(['postgres', 'pglite'])('awkward strings on %s', (db) => {
  let stack: Stack;
  let api: ReturnType<typeof adminClient>;
  let tenantId: string;
  let adminKey: string;
  let url: string;
  let secret: string;
  const run = `c${Math.random().toString(36).slice(2, 8)}`;
  const cases = corpus(run);
  const acks = new Map<string, { status: number; body: Ack | ErrorBody }>();

  let files: Server;
  const fetchedPaths: string[] = [];

  beforeAll(async () => {
    files = createServer((req, res) => {
      fetchedPaths.push(req.url ?? '');
      res.end('hello');
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    for (const c of cases) c.raw = c.raw.replace(FILE_BASE, base);
    stack = await startStack({ db, env: { FETCH_ALLOW_PRIVATE_NETWORKS: 'true' } });
    const t = await stack.newTenant();
    tenantId = t.tenantId;
    adminKey = t.adminKey;
    api = adminClient(stack.baseUrl, t.adminKey);
    ({
      endpoint: { url },
      secret,
    } = await api.endpoints.create.mutate({ name: 'corpus', authMode: 'bearer' }));
    await Promise.all(
      cases.map(async (c) => {
        const res = await postBearer(url, secret, c.raw);
        acks.set(c.name, { status: res.status, body: (await res.json()) as Ack | ErrorBody });
      }),
    );
  });
  afterAll(async () => {
    await stack?.close();
    await new Promise((r) => files?.close(r));
  });

  const accepted = (name: string) => {
    const a = acks.get(name)!;
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    return a.body as Ack;
  };

  it.each(cases.filter((c) => 'status' in c.expect).map((c) => [c.name, c] as const))(
    'refused before any 200: %s',
    async (_name, c) => {
      const a = acks.get(c.name)!;
      expect(a).toMatchObject({ status: (c.expect as { status: number }).status });
      expect((a.body as ErrorBody).error.code).toBe((c.expect as { code: string }).code);
    },
  );

  it.each(cases.filter((c) => 'escaped' in c.expect).map((c) => [c.name, c] as const))(
    'archived and shown as sent: %s',
    async (_name, c) => {
      const ack = accepted(c.name);
      // Until it is final: a 'failed' one fails here at once, with its reason.
      await expect
        .poll(async () => (await api.messages.get.query({ id: ack.message_id }).catch(() => null))?.status, {
          timeout: 45_000,
          interval: 250,
        })
        .toMatch(/^(archived|failed)$/);
      const m = await api.messages.get.query({ id: ack.message_id });
      expect(m.status, m.error ?? '').toBe('archived');
      expect({ from: m.from, to: m.to, body: m.body, extra: m.extra }).toEqual(expectedView(c.raw));
      const escaped = (c.expect as { escaped: string[] }).escaped;
      expect(m.escapedFields).toEqual(escaped);
      expect(m.escapeScheme).toBe(escaped.length > 0 ? ESCAPE_SCHEME : null);

      // The sealed record holds the payload's strings, not their storage form.
      const record = JSON.parse(
        readFileSync(path.join(stack.wormDir, messageRecordKey(tenantId, ack.message_id)), 'utf8'),
      );
      expect({ from: record.from, to: record.to, body: record.body, extra: record.extra }).toEqual(
        expectedView(c.raw),
      );

      if (c.search) {
        const found = await api.messages.search.query(c.search(run));
        expect(found.items.map((i) => i.id)).toEqual([ack.message_id]);
        expect(found.items[0]!.from).toEqual(m.from);
      }
    },
  );

  it('keeps the raw bytes exact (duplicate keys, 1e400 and escapes as sent)', async () => {
    for (const name of [
      'duplicate keys: the parsed view keeps the last (JSON.parse); raw bytes keep both',
      'huge numbers, -0 and 1e400: the parsed view is an IEEE-754 double, as JSON.parse gives',
      'NUL in body',
    ]) {
      const res = await fetch(`${stack.baseUrl}/api/messages/${accepted(name).message_id}/raw`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(cases.find((x) => x.name === name)!.raw);
    }
  });

  it('shows attachments as sent', async () => {
    const m = await api.messages.get.query({ id: accepted('NUL in an attachment filename').message_id });
    expect(m.attachments.map((a) => [a.filename, a.status])).toEqual([['re\u0000port.txt', 'stored']]);
  });

  it('scripts/admin messages show names the escaped fields and prints them visibly', async () => {
    const show = async (name: string) => {
      let stdout = '';
      const code = await runCli(['messages', 'show', accepted(name).message_id], {
        stdout: (s) => (stdout += s),
        stderr: () => {},
        env: { API_URL: stack.baseUrl, ADMIN_API_KEY: adminKey },
      });
      expect(code).toBe(0);
      return stdout;
    };
    const nul = await show('NUL in body');
    expect(nul).toMatch(
      new RegExp(`^escaped:\\s+/body \\(stored as ${ESCAPE_SCHEME}; shown as sent\\)$`, 'm'),
    );
    expect(nul).toContain('before \\x00 after');
    // A terminal would print U+FFFD for a lone surrogate: the CLI writes its escape instead.
    expect(await show('lone low surrogate in body')).toContain('low \\udfaa tok');
    expect(await show('paired surrogates (emoji), escaped and literal: stored as is')).toContain('😀 😀');
  });

  it('refuses an endpoint name PostgreSQL cannot hold with a 400, not a 500', async () => {
    for (const name of ['bad\u0000name', 'bad\udfaa']) {
      const err = await trpcError(api.endpoints.create.mutate({ name, authMode: 'bearer' }));
      expect(err.data?.httpStatus).toBe(400);
    }
  });

  it('fetches an attachment URL as the WHATWG parser encodes it, and shows the URL as sent', async () => {
    const c = cases.find((x) => x.name.startsWith('NUL and a lone surrogate in an attachment URL'))!;
    const m = await api.messages.get.query({ id: accepted(c.name).message_id });
    const sent = (JSON.parse(c.raw) as { attachments: { url: string }[] }).attachments[0]!.url;
    expect(m.attachments.map((a) => [a.url, a.status, a.size])).toEqual([[sent, 'stored', 5]]);
    expect(fetchedPaths).toContain('/a%00b%EF%BF%BD');
  });

  it('leaves nothing stuck or failed', async () => {
    const counts = await api.messages.counts.query({});
    const archivable = cases.filter((c) => 'escaped' in c.expect).length;
    expect(counts).toMatchObject({ archived: archivable, failed: 0, received: 0, stored: 0, stuck: 0 });
  });
});
