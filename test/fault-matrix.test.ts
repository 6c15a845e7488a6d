// The fault matrix (issue 11; DESIGN.md invariants 1-3): the production topology — server and
// worker as their own processes, on a PostgreSQL cluster, a Temporal dev server and a SeaweedFS
// of this file's own — and each of the five SIGKILLed during a burst of 200, then started again.
// Every 200 must end archived exactly once (rows, WORM manifest versions, ledger leaves); while
// the component is down producers get 200 or 503 + Retry-After, promptly (a dead HTTP server
// refuses connections, which is what a load balancer routes around); afterwards everything
// drains. scripts/fault-matrix.ts prints the same runs as a table (docs/fault-matrix.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPONENTS, type FaultRow, formatTable, type Rig, runFault, startRig } from './helpers/fault-matrix';

const BURST = 200;
// An answer while a component is down: prompt, never a hang (the producers' own timeout is 30 s).
const MAX_ANSWER_MS = 10_000;

let rig: Rig;
const rows: FaultRow[] = [];

beforeAll(async () => {
  rig = await startRig();
}, 240_000);
afterAll(async () => {
  if (rows.length > 0) console.log(formatTable(rows));
  await rig?.close();
}, 60_000);

describe('fault matrix: SIGKILL mid-burst, restart, count', () => {
  for (const component of COMPONENTS) {
    it(`${component}: every 200 archived exactly once; answers while down are 200 or 503 + Retry-After`, async () => {
      const row = await runFault(rig, component, { count: BURST });
      rows.push(row);
      const diagnosis = () =>
        `${JSON.stringify(row)}\nserver:\n${rig.output('server')}\nworker:\n${rig.output('worker')}`;

      expect(row, diagnosis()).toMatchObject({
        acked: BURST,
        archived: BURST,
        doubled: 0,
        lost: 0,
        receiptsOpen: 0,
      });
      expect(row.refused).toEqual([]);
      expect(row.duringFault).toMatchObject({ other: 0, timeouts: 0 });
      expect(row.unavailableWithoutRetryAfter).toBe(0);
      expect(row.maxAnswerMsDuringFault).toBeLessThan(MAX_ANSWER_MS);
      // The fault was real, and seen as the component's outage looks to a producer.
      if (component === 'server') {
        expect(row.duringFault.network).toBeGreaterThan(0);
      } else {
        expect(row.duringFault.network).toBe(0);
      }
      if (component === 'postgres') {
        // No 200 without the receipt committed: while the database is down, only 503s.
        expect(row.duringFault.unavailable).toBeGreaterThan(0);
      } else if (component !== 'server') {
        // The ack needs only PostgreSQL: worker, Temporal or WORM down, producers still get 200.
        expect(row.duringFault.ok).toBeGreaterThan(0);
        expect(row.duringFault.unavailable).toBe(0);
      }
    }, 240_000);
  }
});
