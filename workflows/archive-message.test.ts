// Replay: runs started by an earlier version of archiveMessage must still complete after an
// upgrade. A history recorded from that version (one message archived on the real stack, saved
// as the binary protobuf of `WorkflowHandle.fetchHistory()`) is replayed against today's workflow
// code; a change that breaks determinism for it fails here instead of in production.
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
