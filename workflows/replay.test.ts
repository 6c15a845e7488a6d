// Replay: runs started by an earlier version of a workflow must still complete after an upgrade.
// Histories recorded from those versions (on the real stack, saved as the binary protobuf of
// `WorkflowHandle.fetchHistory()`) are replayed against today's workflow code; a change that
// breaks determinism for them fails here instead of in production.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../lib/repo-root';

const { History, EventType } = {
  History: temporal.api.history.v1.History,
  EventType: temporal.api.enums.v1.EventType,
};
// Recorded before seal logged the ledger leaf itself: prepare, seal, appendToLedger, upsert.
// (Binary, not the JSON of `temporal workflow show`: the SDK's JSON loader trips over the two
// copies of protobufjs this dependency tree holds.)
const fixture = path.join(repoRoot, 'test/data/histories/archive-message-with-ledger-step.binpb');
const load = () => History.decode(readFileSync(fixture));
const workflowsPath = path.join(repoRoot, 'workflows/index.ts');
const isMarker = (e: temporal.api.history.v1.IHistoryEvent) =>
  e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED;

describe('archiveMessage replays histories of earlier versions', () => {
  beforeAll(() => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  });

  it('a run that logged its leaf in a separate appendToLedger step', async () => {
    const history = load();
    // The fixture is what it claims: three local-activity markers and no patch marker.
    const markers = history.events.filter(isMarker);
    expect(markers.map((m) => m.markerRecordedEventAttributes?.markerName)).toEqual([
      'core_local_activity',
      'core_local_activity',
      'core_local_activity',
    ]);
    await expect(Worker.runReplayHistory({ workflowsPath }, history)).resolves.toBeUndefined();
  });

  it('fails on a history the code does not match (the replay can tell)', async () => {
    // The old run's last step, recorded as another activity: the code (taking the unpatched
    // branch, as for any history without the patch marker) asks for appendToLedger there.
    const history = load();
    const last =
      history.events.findLast(isMarker)!.markerRecordedEventAttributes!.details!.data!.payloads![0]!;
    const data = JSON.parse(Buffer.from(last.data!).toString());
    expect(data.activity_type).toBe('appendToLedger');
    last.data = Buffer.from(JSON.stringify({ ...data, activity_type: 'settleDuplicate' }));
    await expect(Worker.runReplayHistory({ workflowsPath }, history)).rejects.toThrow(/nondetermin/i);
  });
});

describe('ledgerIntegrator replays histories of earlier versions', () => {
  it('a run that looked every second whatever its tenant sent (before the idle back-off)', async () => {
    const history = History.decode(
      readFileSync(path.join(repoRoot, 'test/data/histories/ledger-integrator-every-second.binpb')),
    );
    // The fixture is what it claims: one-second timers only, several of them…
    const timers = history.events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
    expect(timers.length).toBeGreaterThanOrEqual(3);
    expect(
      new Set(timers.map((t) => Number(t.timerStartedEventAttributes?.startToFireTimeout?.seconds))),
    ).toEqual(new Set([1]));
    // …and looks that found nothing pending, after which today's code pauses 2, 4, 8 s: replay
    // checks that a timer comes next, not its duration, so no patch is needed.
    const results = history.events
      .filter(isMarker)
      .map((m) =>
        JSON.parse(
          Buffer.from(m.markerRecordedEventAttributes!.details!.result!.payloads![0]!.data!).toString(),
        ),
      );
    expect(results).toContainEqual({ integrated: false, pending: 0 });
    await expect(Worker.runReplayHistory({ workflowsPath }, history)).resolves.toBeUndefined();
  });
});
