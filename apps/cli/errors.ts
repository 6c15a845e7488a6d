// What can go wrong in the CLI, and how each case reads on stderr. Exit status: 1 when a request
// failed, 2 for a usage or configuration mistake. Never a stack trace.
import { TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../server/trpc/root';
import { clean } from './output';

/** A wrong command line: the message and the usage go to stderr, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The CLI cannot start talking to the archive (no key, bad URL): the message alone, exit 2. */
export class SetupError extends Error {
  override name = 'SetupError';
}

/** Node's network error codes that mean "nothing answered at that address". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** Readable labels for the procedures' input fields, in the CLI's own terms. */
const FIELD_LABELS: Record<string, string> = {
  id: '<id>',
  name: '--name',
  authMode: '--auth',
  source: '--source',
  secret: '--secret',
  customHmac: '--custom-hmac',
  mapping: '--mapping',
  ipAllowlist: '--allow',
  enabled: 'enabled',
  endpointId: '--endpoint',
  cursor: '--cursor',
  limit: '--limit',
};

interface Issue {
  path: (string | number)[];
  message: string;
}

/** What to print for a failed request: an "error: ..." line, maybe followed by detail lines. */
export function describeFailure(err: unknown, apiUrl: string): string {
  if (err instanceof TRPCClientError) return describeClientError(err as TRPCClientError<AppRouter>, apiUrl);
  const network = networkCode(err);
  if (network) return unreachable(apiUrl, network);
  const message = err instanceof Error ? err.message : String(err);
  return `error: ${clean(message)}`;
}

function describeClientError(err: TRPCClientError<AppRouter>, apiUrl: string): string {
  const code = err.data?.code;
  if (typeof code === 'string') {
    const issues = err.data?.issues;
    if (code === 'BAD_REQUEST' && issues && issues.length > 0) {
      return `error: BAD_REQUEST: invalid input\n${issues.map(formatIssue).join('\n')}`;
    }
    const hint =
      code === 'UNAUTHORIZED'
        ? '\nhint: check the admin key (ADMIN_API_KEY, --key-file, or DATA_DIR/admin-key) belongs to this archive'
        : '';
    // A refusal's machine-readable reason (e.g. message_archived) is what a script matches on.
    const reason = err.data?.reason ? ` (${err.data.reason})` : '';
    return `error: ${code}${reason}: ${clean(err.message)}${hint}`;
  }
  // No tRPC error body: the request never got a tRPC answer.
  const network = networkCode(err.cause);
  if (network) return unreachable(apiUrl, network);
  if (isTimeout(err.cause)) {
    return `error: ${clean((err.cause as Error).message || 'no answer')} from the archive at ${apiUrl}`;
  }
  return `error: unexpected response from ${apiUrl}/trpc (is that the archive's address?): ${clean(err.message)}`;
}

function unreachable(apiUrl: string, code: string): string {
  return code === 'ECONNREFUSED'
    ? `error: cannot reach the archive at ${apiUrl} (is scripts/start running?)`
    : `error: cannot reach the archive at ${apiUrl} (${code}; is scripts/start running and the address right?)`;
}

/** The first Node error code found along the cause chain, if it is a network failure. */
function networkCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur);
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return code;
    // Happy-eyeballs connects report every failed address in an AggregateError.
    const errors = (cur as { errors?: unknown }).errors;
    if (Array.isArray(errors)) {
      for (const e of errors) {
        const c = networkCode(e);
        if (c) return c;
      }
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function isTimeout(err: unknown): boolean {
  const name = (err as { name?: unknown } | undefined)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

function formatIssue(issue: Issue): string {
  const [head, ...rest] = issue.path;
  let where = '';
  if (head !== undefined) {
    const label = typeof head === 'string' ? (FIELD_LABELS[head] ?? head) : `[${head}]`;
    if (head === 'ipAllowlist' && typeof rest[0] === 'number') {
      where = `${label} (entry ${rest[0] + 1})`;
    } else {
      where = [label, ...rest.map(String)].join('.');
    }
  }
  return `  ${where ? `${clean(where)}: ` : ''}${clean(issue.message)}`;
}
