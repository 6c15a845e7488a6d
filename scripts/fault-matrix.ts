// The fault matrix (issue 11), printed as a table: for each component, SIGKILL it during a
// burst, start it again, count. The same module backs test/fault-matrix.test.ts, which asserts
// the counts. Usage: node --import tsx scripts/fault-matrix.ts [--count 200] [component...]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  COMPONENTS,
  type Component,
  type FaultRow,
  formatTable,
  runFault,
  startRig,
} from '../test/helpers/fault-matrix';

const { values, positionals } = parseArgs({
  options: {
    count: { type: 'string', default: '200' },
    keep: { type: 'boolean', default: false },
    // Writes every attempt of every run (times relative to the kill) to this JSON file.
    dump: { type: 'string' },
    'skip-baseline': { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const count = Number(values.count);
const only = positionals.length > 0 ? (positionals as Component[]) : [...COMPONENTS];
for (const c of only)
  if (!COMPONENTS.includes(c)) throw new Error(`unknown component ${c} (${COMPONENTS.join(', ')})`);

mkdirSync(path.resolve('.test-run'), { recursive: true });
const t0 = Date.now();
const rig = await startRig({ keep: values.keep, log: (l) => console.error(`[fault-matrix] ${l}`) });
const rows: FaultRow[] = [];
// Our PostgreSQL cluster is a daemon (not tied to this process like the other servers): stop it on Ctrl-C.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void rig.close().finally(() => process.exit(130));
  });
}
try {
  // The same-run baseline: a burst with nothing killed.
  for (const c of values['skip-baseline'] ? only : (['none', ...only] as const)) {
    console.error(
      `[fault-matrix] ${c}: burst of ${count}${c === 'none' ? '' : `, ${c} SIGKILLed mid-burst`}`,
    );
    const row = await runFault(rig, c, { count });
    rows.push(row);
    console.error(
      `[fault-matrix] ${c}: ${JSON.stringify({ ...row, refused: row.refused.length, attempts: row.attempts.length })}`,
    );
  }
} finally {
  await rig.close();
}
if (values.dump) writeFileSync(values.dump, JSON.stringify(rows, null, 1));
console.log(formatTable(rows));
console.log(
  `\n${count} messages per burst; total ${((Date.now() - t0) / 1000).toFixed(0)} s; load average ${(
    await import('node:os')
  )
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
