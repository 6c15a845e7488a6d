// Which activity errors no retry can fix. A deterministic data error retried forever is a
// message lost in silence: it must end `failed`, visibly. Everything else (connections, timeouts,
// a restarting database, a full disk) is infrastructure and is retried until it comes back.

export type ErrorClass = { kind: 'data'; sqlstate: string; message: string } | { kind: 'infrastructure' };

/**
 * SQLSTATE classes that mean "this statement, with these values, will fail again":
 * 22 data exception (invalid text, out of range, bad JSON…), 23 integrity constraint violation,
 * 54 program limit exceeded (a tsvector or an index row too big).
 */
const DATA_CLASSES = ['22', '23', '54'];
/**
 * Expected races, handled where they happen or resolved by a retry: unique_violation (two runs
 * inserting the same row; every insert here is ON CONFLICT, so one that still escapes is a race),
 * and exclusion_violation for the same reason.
 */
const RETRYABLE_CODES = new Set(['23505', '23P01']);

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The SQLSTATE of a PostgreSQL error (postgres.js, PGlite), looking through wrappers' causes. */
export function sqlState(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, severity } = e as { code?: unknown; severity?: unknown };
    // `severity` tells a server error from a Node system error such as EPIPE (also 5 letters).
    if (typeof code === 'string' && SQLSTATE.test(code) && typeof severity === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function classifyError(err: unknown): ErrorClass {
  const code = sqlState(err);
  if (!code || RETRYABLE_CODES.has(code) || !DATA_CLASSES.includes(code.slice(0, 2)))
    return { kind: 'infrastructure' };
  return { kind: 'data', sqlstate: code, message: innermostMessage(err) };
}

/** The database's own message (drizzle wraps it in "Failed query: …" with the parameters). */
function innermostMessage(err: unknown): string {
  let message = err instanceof Error ? err.message : String(err);
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    if (e instanceof Error && typeof (e as { severity?: unknown }).severity === 'string') message = e.message;
    e = (e as { cause?: unknown }).cause;
  }
  return message.slice(0, 500);
}
