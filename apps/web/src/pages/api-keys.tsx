// API keys (admin): create a key with a role and an optional expiry (shown once), see every key's
// state, revoke one (refused from the next request on).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { ROLES, type Role } from '../../../../lib/roles';
import { ConfirmDialog } from '../components/dialog';
import {
  Alert,
  CopyField,
  DateTime,
  EmptyState,
  ErrorState,
  Loading,
  PageHeader,
  Spinner,
} from '../components/ui';
import { errorMessage, type RouterOutputs, useTRPC } from '../trpc';

type ApiKey = RouterOutputs['apiKeys']['list'][number];

export function ApiKeysPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.apiKeys.list.queryFilter());
  const revoke = useMutation(
    trpc.apiKeys.revoke.mutationOptions({
      onSuccess: () => {
        setRevoking(null);
        void refresh();
      },
    }),
  );

  useEffect(() => {
    document.title = 'API keys · Webhook Archive';
  }, []);

  return (
    <>
      <PageHeader
        title="API keys"
        crumbs={[{ label: 'Settings' }, { label: 'API keys' }]}
        description="Keys for the CLI and automation. Each has one role; a revoked or expired key is refused at once."
      />
      <NewKeyForm
        onCreated={(c) => {
          setCreated(c);
          void refresh();
        }}
      />
      {created && (
        <section className="panel secret-panel" data-testid="new-api-key">
          <h2>Key “{created.name}” created</h2>
          <div className="callout callout-warning" role="note">
            <strong className="callout-title">Copy the key now — it won't be shown again.</strong>
            <div>Only its hash is stored. If you lose it, revoke it and create another.</div>
          </div>
          <CopyField label="API key" value={created.key} secret testId="api-key-value" />
          <div className="form-actions">
            <button type="button" className="btn" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </section>
      )}
      {keys.isPending ? (
        <Loading />
      ) : keys.isError ? (
        <ErrorState title="The keys could not be loaded" error={keys.error} onRetry={() => keys.refetch()} />
      ) : keys.data.length === 0 ? (
        <EmptyState title="No API keys" />
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="api-keys-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Prefix</th>
                <th scope="col">State</th>
                <th scope="col">Expires</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.id} data-key-id={k.id}>
                  <td>{k.name}</td>
                  <td>{k.role}</td>
                  <td className="mono">{k.keyPrefix}…</td>
                  <td data-testid="key-state">{k.state}</td>
                  <td>{k.expiresAt ? <DateTime iso={k.expiresAt} /> : 'never'}</td>
                  <td>
                    <DateTime iso={k.createdAt} />
                  </td>
                  <td>
                    {k.state !== 'revoked' && (
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-label={`Revoke ${k.name}`}
                        onClick={() => setRevoking(k)}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke “${revoking?.name ?? ''}”?`}
        confirmLabel="Revoke key"
        busy={revoke.isPending}
        error={revoke.isError ? errorMessage(revoke.error) : undefined}
        onConfirm={() => revoking && revoke.mutate({ id: revoking.id })}
        onCancel={() => setRevoking(null)}
      >
        Every request with this key is refused from now on. This cannot be undone.
      </ConfirmDialog>
    </>
  );
}

function NewKeyForm({ onCreated }: { onCreated: (c: { name: string; key: string }) => void }) {
  const trpc = useTRPC();
  const id = useId();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('auditor');
  const [days, setDays] = useState('');
  const [error, setError] = useState<string | null>(null);
  const create = useMutation(trpc.apiKeys.create.mutationOptions());

  async function submit(e: FormEvent) {
    e.preventDefault();
    const d = days.trim();
    if (!name.trim()) return setError('Give the key a name.');
    if (d && !/^\d{1,4}$/.test(d)) return setError('Expiry is a whole number of days.');
    setError(null);
    try {
      const res = await create.mutateAsync({
        name: name.trim(),
        role,
        ...(d ? { expiresAt: new Date(Date.now() + Number(d) * 86_400_000).toISOString() } : {}),
      });
      setName('');
      setDays('');
      onCreated({ name: res.name, key: res.key });
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return (
    <section className="panel filters">
      <form onSubmit={submit} aria-label="New API key" className="filters-row">
        <div className="field field-inline">
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field field-inline">
          <label htmlFor={`${id}-role`}>Role</label>
          <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-inline">
          <label htmlFor={`${id}-days`}>Expires in (days)</label>
          <input
            id={`${id}-days`}
            inputMode="numeric"
            placeholder="never"
            value={days}
            onChange={(e) => setDays(e.target.value)}
          />
        </div>
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending && <Spinner />}
          Create key
        </button>
      </form>
      {error && <Alert title="The key was not created">{error}</Alert>}
    </section>
  );
}
