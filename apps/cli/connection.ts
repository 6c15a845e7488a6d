// Where the archive is and which admin key to use, from options, then the environment, then the
// embedded-mode defaults (the same PUBLIC_BASE_URL / PORT / DATA_DIR the server reads).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from '../server/trpc/root';
import { SetupError } from './errors';

export type Env = Record<string, string | undefined>;

/** How long one admin request may take before the CLI gives up. */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface Connection {
  apiUrl: string;
  adminKey: string;
}

/** Empty strings count as unset, as in lib/config.ts. */
const get = (env: Env, name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);

export function resolveApiUrl(env: Env, override?: string): string {
  const raw =
    override ??
    get(env, 'API_URL') ??
    get(env, 'PUBLIC_BASE_URL') ??
    `http://127.0.0.1:${get(env, 'PORT') ?? 8080}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SetupError(`error: the archive URL is not a valid URL: ${raw} (set API_URL or --api-url)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SetupError(`error: the archive URL must be http:// or https://, got ${url.protocol} (API_URL)`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new SetupError('error: the archive URL must be a plain base URL, e.g. http://127.0.0.1:8080');
  }
  return url.toString().replace(/\/+$/, '');
}

const HOW_TO_PROVIDE =
  'set ADMIN_API_KEY, pass --key-file FILE, or run scripts/start once in this directory ' +
  '(it writes DATA_DIR/admin-key, default ./data/admin-key)';

export function resolveAdminKey(env: Env, keyFile?: string): string {
  if (keyFile !== undefined) return readKeyFile(keyFile, '--key-file');
  const fromEnv = get(env, 'ADMIN_API_KEY');
  if (fromEnv) return checkKey(fromEnv, 'ADMIN_API_KEY');
  const file = path.join(get(env, 'DATA_DIR') ?? './data', 'admin-key');
  return readKeyFile(file, null);
}

function readKeyFile(file: string, option: string | null): string {
  let key: string;
  try {
    key = readFileSync(file, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (option === null && code === 'ENOENT') {
      throw new SetupError(`error: no admin key found (no ${file}): ${HOW_TO_PROVIDE}`);
    }
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw new SetupError(`error: cannot read the admin key file ${file} (${why}): ${HOW_TO_PROVIDE}`);
  }
  if (!key) throw new SetupError(`error: the admin key file ${file} is empty: ${HOW_TO_PROVIDE}`);
  return checkKey(key, file);
}

/** A key must fit in an HTTP header; fetch's own complaint would quote the key back. */
function checkKey(key: string, source: string): string {
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw new SetupError(`error: the admin key from ${source} is malformed (expected one printable token)`);
  }
  return key;
}

export function createAdminClient({ apiUrl, adminKey }: Connection, timeoutMs = REQUEST_TIMEOUT_MS) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${apiUrl}/trpc`,
        headers: () => ({ authorization: `Bearer ${adminKey}` }),
        fetch: (input, init) =>
          fetch(input as string | URL, {
            ...(init as RequestInit),
            signal: withTimeout(init?.signal as AbortSignal | undefined, timeoutMs),
          }),
      }),
    ],
  });
}

/**
 * A request that hangs (a black-holed address, a stuck server) fails after `ms` instead of
 * forever. A plain timer rather than AbortSignal.timeout/any: on Node 20 those signals can be
 * garbage-collected before they fire, and the request then hangs after all.
 */
function withTimeout(outer: AbortSignal | undefined, ms: number): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${ms / 1000}s`, 'TimeoutError')),
    ms,
  );
  timer.unref();
  if (outer) {
    if (outer.aborted) controller.abort(outer.reason);
    else outer.addEventListener('abort', () => controller.abort(outer.reason), { once: true });
  }
  return controller.signal;
}

export type AdminClient = ReturnType<typeof createAdminClient>;
