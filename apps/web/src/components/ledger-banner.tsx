// The integrity banner: shown on every page while the tenant's last ledger audit found problems
// (deleted, altered or forged rows, missing or altered sealed objects). Nothing is healed, so it
// stays until an operator has looked and the next audit passes.
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '../trpc';
import { Alert } from './ui';

const KIND_LABELS: Record<string, string> = {
  message_row_missing: 'logged message rows deleted',
  message_altered: 'message rows altered',
  leaf_missing: 'log leaves deleted',
  unlogged_message: 'archived messages not in the log',
  checkpoint_mismatch: 'checkpoints no longer match',
  checkpoint_unsealed: 'sealed checkpoints missing',
  checkpoint_row_missing: 'checkpoint rows deleted',
  object_missing: 'sealed objects missing',
  object_altered: 'sealed objects altered',
};

export function LedgerBanner() {
  const trpc = useTRPC();
  const status = useQuery({ ...trpc.ledger.status.queryOptions(), refetchInterval: 60_000 });
  const audit = status.data?.audit;
  if (!audit || audit.ok) return null;
  const counts = new Map<string, number>();
  for (const p of audit.problems) counts.set(p.kind, (counts.get(p.kind) ?? 0) + 1);
  const summary = [...counts].map(([kind, n]) => `${n} ${KIND_LABELS[kind] ?? kind}`).join(', ');
  return (
    <Alert kind="error" title="Integrity audit failed">
      {`The audit of ${new Date(audit.ran_at).toLocaleString()} found ${audit.problems.length} problem(s): ${summary}. ` +
        'Details are in the audit log (ledger.audit_failed) and ledger.status.'}
    </Alert>
  );
}
