// Reading a V8 .cpuprofile (node --cpu-prof): which share of a process's busy samples ran under
// given code, inclusive (a sample counts for a part when any frame of its stack is that part's),
// start-up's module loading left out.

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
}

/** Observability's code on the ack path, by part: a frame's URL (or function) matching counts. */
export const OBSERVABILITY_CODE: Record<string, RegExp> = {
  tracing: /\/lib\/tracing\/|@opentelemetry\//,
  metrics: /prom-client\/|\/apps\/server\/http\/metrics\.ts/,
  'request log': /\/apps\/server\/request-log\/|\/apps\/server\/ingest\/observe\.ts/,
};

// V8's own buckets: busy time no JavaScript frame can be blamed for.
const UNATTRIBUTED = new Set(['(program)', '(garbage collector)']);
const LOADER = /^node:internal\/modules\//;

export function profileShares(profile: CpuProfile, parts: Record<string, RegExp>) {
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Which part (if any) each node's stack is under, memoised from the root down.
  const partOf = new Map<number, string | null>();
  const resolve = (id: number): string | null => {
    const known = partOf.get(id);
    if (known !== undefined) return known;
    const frame = byId.get(id)!.callFrame;
    const own = Object.entries(parts).find(
      ([, re]) => re.test(frame.url) || re.test(frame.functionName),
    )?.[0];
    const p = parent.get(id);
    const result = own ?? (p === undefined ? null : resolve(p));
    partOf.set(id, result);
    return result;
  };
  let busy = 0;
  let observed = 0;
  const byPart: Record<string, number> = Object.fromEntries(Object.keys(parts).map((k) => [k, 0]));
  // Start-up (module loading, including the lazily imported tracing SDK) is not the ack's cost.
  const loading = new Map<number, boolean>();
  const isLoading = (id: number): boolean => {
    const known = loading.get(id);
    if (known !== undefined) return known;
    const p = parent.get(id);
    const result = LOADER.test(byId.get(id)!.callFrame.url) || (p !== undefined && isLoading(p));
    loading.set(id, result);
    return result;
  };
  for (const id of profile.samples) {
    const name = byId.get(id)!.callFrame.functionName;
    if (name === '(idle)' || isLoading(id)) continue;
    busy++; // GC and (program) are the process's work too; they stay in the denominator
    if (UNATTRIBUTED.has(name)) continue;
    const part = resolve(id);
    if (part) {
      observed++;
      byPart[part] = (byPart[part] ?? 0) + 1;
    }
  }
  return { busy, observed, byPart };
}
