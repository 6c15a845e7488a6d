// GET /readyz: each component the archive depends on, probed now (with a short deadline), as
// JSON; 503 while any required one is down. /healthz stays liveness ("this process answers").
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Supervised } from '../../../lib/child-process';
import type { ServerDeps } from '../deps';

export interface ComponentCheck {
  name: string;
  /** A required component down makes /readyz 503; an optional one only reports `degraded`. */
  required: boolean;
  /** Resolves with optional details when the component is usable; throws when it is not. */
  probe(): Promise<Record<string, unknown> | undefined>;
}

export interface ComponentReport {
  ok: boolean;
  required: boolean;
  ms: number;
  error?: string;
  [detail: string]: unknown;
}

export interface ReadinessReport {
  status: 'ready' | 'degraded' | 'unavailable';
  components: Record<string, ComponentReport>;
}

const PROBE_TIMEOUT_MS = 2_000;

export class Readiness {
  private readonly checks: ComponentCheck[] = [];
  constructor(checks: ComponentCheck[] = []) {
    for (const c of checks) this.add(c);
  }

  /** A check with the same name replaces the earlier one (e.g. the supervised Temporal dev server). */
  add(check: ComponentCheck): this {
    const i = this.checks.findIndex((c) => c.name === check.name);
    if (i >= 0) this.checks[i] = check;
    else this.checks.push(check);
    return this;
  }

  async report(): Promise<ReadinessReport> {
    const results = await Promise.all(this.checks.map((c) => runCheck(c)));
    const components: Record<string, ComponentReport> = {};
    this.checks.forEach((c, i) => {
      components[c.name] = results[i]!;
    });
    const down = this.checks.filter((c) => !components[c.name]!.ok);
    const status = down.some((c) => c.required) ? 'unavailable' : down.length ? 'degraded' : 'ready';
    return { status, components };
  }
}

async function runCheck(check: ComponentCheck): Promise<ComponentReport> {
  const t = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const details = await Promise.race([
      check.probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)),
          PROBE_TIMEOUT_MS,
        );
      }),
    ]);
    return { ok: true, required: check.required, ms: ms(t), ...details };
  } catch (err) {
    return { ok: false, required: check.required, ms: ms(t), error: describe(err) };
  } finally {
    clearTimeout(timer);
  }
}

const ms = (t: number) => Math.round((performance.now() - t) * 10) / 10;

/** One line, no stack: the report is for operators and load balancers. */
function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const msg = typeof e?.message === 'string' ? e.message.split('\n', 1)[0]! : String(err);
  return typeof e?.code === 'string' ? `${e.code}: ${msg}` : msg;
}

/** The checks every server has: database, Temporal (through the server's own client), object store. */
export function standardChecks(deps: Pick<ServerDeps, 'db' | 'temporal' | 'worm'>): ComponentCheck[] {
  return [
    {
      name: 'database',
      required: true,
      probe: async () => {
        await deps.db.execute(sql`select 1`);
        return undefined;
      },
    },
    {
      name: 'temporal',
      required: true,
      probe: async () => {
        const conn = deps.temporal.connection;
        await conn.withDeadline(Date.now() + PROBE_TIMEOUT_MS, () => conn.workflowService.getSystemInfo({}));
        return undefined;
      },
    },
    {
      name: 'object_store',
      required: true,
      probe: async () => {
        // A head of a key that never exists: reachability and permissions, without writing.
        await deps.worm.head('readyz/probe');
        return { kind: deps.worm.kind };
      },
    },
  ];
}

/** Redis only shares rate limits; without it each instance limits locally, so it is optional. */
export function redisCheck(redis: Redis): ComponentCheck {
  return {
    name: 'redis',
    required: false,
    probe: async () => {
      await redis.ping();
      return undefined;
    },
  };
}

/** What readiness reads from a supervised child process. */
export type SupervisedChild = Pick<Supervised, 'state' | 'restarts' | 'lastExit'>;

/**
 * A component run as a supervised child of the embedded process (the Temporal dev server, the
 * PGlite process): while its supervisor is restarting it, say so (and when it died) instead of
 * only "connection refused"; when it runs, probe it as usual. `label` names it in errors.
 */
export function supervisedCheck(base: ComponentCheck, child: SupervisedChild, label: string): ComponentCheck {
  return {
    ...base,
    probe: async () => {
      const last = child.lastExit();
      const details = {
        embedded: true,
        restarts: child.restarts(),
        ...(last ? { last_exit: { at: last.at.toISOString(), code: last.code, signal: last.signal } } : {}),
      };
      if (child.state() !== 'running') {
        throw new Error(`${label} ${child.state()} (restarts so far: ${details.restarts})`);
      }
      const result = await base.probe();
      // Clients retry while the child is away: a probe that straddled a crash and its restart
      // "succeeds", yet there was an outage. Report it.
      if (child.lastExit() !== last) throw new Error(`${label} died during the probe`);
      return { ...result, ...details };
    },
  };
}

/** The embedded worker process (optional: acks go on without it, archiving waits). */
export function workerProcessCheck(worker: SupervisedChild): ComponentCheck {
  const base: ComponentCheck = { name: 'worker', required: false, probe: async () => undefined };
  return supervisedCheck(base, worker, 'embedded worker process');
}
