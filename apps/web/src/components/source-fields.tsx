// SaaS source presets in the UI: the sender picker of New endpoint (with the tool's secret and the
// custom-hmac settings), where to paste the URL in that tool, and an endpoint's recent deliveries.
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { SOURCE_INFO } from '../../../../lib/sources/catalog';
import type { SourceKind } from '../../../../lib/sources/config';
import { Link } from '../router';
import { useTRPC } from '../trpc';
import { Badge, DateTime, Loading, StatusBadge } from './ui';

export const SOURCE_ORDER: SourceKind[] = [
  'comma',
  'github',
  'stripe',
  'slack',
  'shopify',
  'svix',
  'standard-webhooks',
  'custom-hmac',
];

export interface CustomHmacFields {
  header: string;
  prefix: string;
  algorithm: 'sha256' | 'sha512' | 'sha1';
  encoding: 'hex' | 'base64';
  template: string;
  timestampHeader: string;
}

export interface SourceFormState {
  source: SourceKind;
  secret: string;
  customHmac: CustomHmacFields;
  /** Optional JSON Pointer for the external id (a mapping override). */
  externalIdPointer: string;
}

export const initialSourceState: SourceFormState = {
  source: 'comma',
  secret: '',
  customHmac: {
    header: 'x-signature',
    prefix: '',
    algorithm: 'sha256',
    encoding: 'hex',
    template: '{body}',
    timestampHeader: '',
  },
  externalIdPointer: '',
};

/** The create input's source part, from the form. */
export function sourceInput(s: SourceFormState) {
  if (s.source === 'comma') return { source: s.source };
  const c = s.customHmac;
  return {
    source: s.source,
    ...(s.secret.trim() ? { secret: s.secret.trim() } : {}),
    ...(s.source === 'custom-hmac'
      ? {
          customHmac: {
            header: c.header,
            prefix: c.prefix,
            algorithm: c.algorithm,
            encoding: c.encoding,
            template: c.template,
            ...(c.timestampHeader.trim() ? { timestampHeader: c.timestampHeader.trim() } : {}),
          },
        }
      : {}),
    ...(s.externalIdPointer.trim()
      ? { mapping: { externalId: { pointer: s.externalIdPointer.trim() } } }
      : {}),
  };
}

/** A problem the form can name before asking the server, or null. */
export function sourceFormError(s: SourceFormState): string | null {
  const info = SOURCE_INFO[s.source];
  if (info.toolIssuesSecret && !s.secret.trim())
    return `Paste the ${info.secretHint ?? 'signing secret'} from ${info.label}.`;
  if (s.externalIdPointer.trim() && !s.externalIdPointer.trim().startsWith('/'))
    return 'The external id pointer must start with /, e.g. /data/id.';
  return null;
}

export function SourceSetup({ source }: { source: SourceKind }) {
  const info = SOURCE_INFO[source];
  return (
    <p className="hint" data-testid="source-setup">
      <strong>In {info.label}:</strong> {info.setup}
    </p>
  );
}

export function SourcePicker({
  value,
  onChange,
}: {
  value: SourceFormState;
  onChange: (next: SourceFormState) => void;
}) {
  const id = useId();
  const info = SOURCE_INFO[value.source];
  const set = (patch: Partial<SourceFormState>) => onChange({ ...value, ...patch });
  const setHmac = (patch: Partial<CustomHmacFields>) =>
    set({ customHmac: { ...value.customHmac, ...patch } });
  return (
    <div className="field">
      <label htmlFor={`${id}-source`}>Sender</label>
      <select
        id={`${id}-source`}
        name="source"
        value={value.source}
        onChange={(e) => set({ source: e.target.value as SourceKind })}
      >
        {SOURCE_ORDER.map((k) => (
          <option key={k} value={k}>
            {SOURCE_INFO[k].label}
          </option>
        ))}
      </select>
      {value.source !== 'comma' && (
        <>
          <SourceSetup source={value.source} />
          <label htmlFor={`${id}-secret`}>
            {info.toolIssuesSecret
              ? (info.secretHint ?? 'Signing secret')
              : 'Secret (optional: leave empty to generate one)'}
          </label>
          <input
            id={`${id}-secret`}
            name="secret"
            type="password"
            autoComplete="off"
            value={value.secret}
            onChange={(e) => set({ secret: e.target.value })}
          />
          {value.source === 'custom-hmac' && (
            <fieldset className="field" data-testid="custom-hmac-fields">
              <legend>Signature</legend>
              <label htmlFor={`${id}-header`}>Header</label>
              <input
                id={`${id}-header`}
                value={value.customHmac.header}
                onChange={(e) => setHmac({ header: e.target.value })}
              />
              <label htmlFor={`${id}-prefix`}>Prefix (e.g. sha256=)</label>
              <input
                id={`${id}-prefix`}
                value={value.customHmac.prefix}
                onChange={(e) => setHmac({ prefix: e.target.value })}
              />
              <label htmlFor={`${id}-alg`}>Algorithm</label>
              <select
                id={`${id}-alg`}
                value={value.customHmac.algorithm}
                onChange={(e) => setHmac({ algorithm: e.target.value as CustomHmacFields['algorithm'] })}
              >
                <option value="sha256">HMAC-SHA256</option>
                <option value="sha512">HMAC-SHA512</option>
                <option value="sha1">HMAC-SHA1</option>
              </select>
              <label htmlFor={`${id}-enc`}>Encoding</label>
              <select
                id={`${id}-enc`}
                value={value.customHmac.encoding}
                onChange={(e) => setHmac({ encoding: e.target.value as CustomHmacFields['encoding'] })}
              >
                <option value="hex">hex</option>
                <option value="base64">base64</option>
              </select>
              <label htmlFor={`${id}-tpl`}>
                Signed content ({'{body}'}, {'{timestamp}'}, {'{id}'})
              </label>
              <input
                id={`${id}-tpl`}
                value={value.customHmac.template}
                onChange={(e) => setHmac({ template: e.target.value })}
              />
              <label htmlFor={`${id}-ts`}>Timestamp header (optional; 5 minutes of tolerance)</label>
              <input
                id={`${id}-ts`}
                value={value.customHmac.timestampHeader}
                onChange={(e) => setHmac({ timestampHeader: e.target.value })}
              />
            </fieldset>
          )}
          <label htmlFor={`${id}-ext`}>External id from (JSON Pointer, optional)</label>
          <input
            id={`${id}-ext`}
            placeholder="/data/id"
            value={value.externalIdPointer}
            onChange={(e) => set({ externalIdPointer: e.target.value })}
          />
          <p className="hint">
            Leave empty for the tool's own delivery id (or the body's SHA-256 if it has none).
          </p>
        </>
      )}
    </div>
  );
}

/**
 * The last deliveries and their verification: every archived message passed the source's
 * signature check (refused ones are never stored, and show only in the request counters).
 */
export function RecentDeliveries({ endpointId, source }: { endpointId: string; source: SourceKind }) {
  const trpc = useTRPC();
  const recent = useQuery(trpc.messages.list.queryOptions({ endpointId, limit: 5 }));
  const how = source === 'comma' ? 'Secret checked' : `${SOURCE_INFO[source].label} signature verified`;
  return (
    <section className="panel" aria-labelledby="deliveries-heading" data-testid="recent-deliveries">
      <h2 id="deliveries-heading">Recent deliveries</h2>
      {recent.isPending ? (
        <Loading label="Loading deliveries…" />
      ) : !recent.data || recent.data.items.length === 0 ? (
        <p className="muted">No delivery verified yet.</p>
      ) : (
        <ul className="plain-list">
          {recent.data.items.map((m) => (
            <li key={m.id}>
              <Badge tone="success">{how}</Badge> <Link to={`/messages/${m.id}`}>{m.externalId}</Link>{' '}
              <DateTime iso={m.receivedAt} relative /> <StatusBadge status={m.status} />
            </li>
          ))}
        </ul>
      )}
      <p className="hint">
        Refused deliveries (bad signature, stale timestamp) are not stored; see the rejected counters.
      </p>
    </section>
  );
}
