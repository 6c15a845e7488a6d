// The IP allowlist textarea: one address or CIDR range per line, checked as you type.
import { useId } from 'react';
import { validateAllowlist } from '../lib/cidr';

export function AllowlistField({
  value,
  onChange,
  serverError,
}: {
  value: string;
  onChange: (v: string) => void;
  serverError?: string | null;
}) {
  const id = useId();
  const result = validateAllowlist(value);
  const errors = result.issues.filter((i) => i.severity === 'error');
  const warnings = result.issues.filter((i) => i.severity === 'warning');
  const invalid = errors.length > 0 || Boolean(serverError);
  const describedBy = [`${id}-hint`, invalid ? `${id}-errors` : '', warnings.length ? `${id}-warnings` : '']
    .filter(Boolean)
    .join(' ');

  return (
    <div className="field">
      <label htmlFor={id}>
        IP allowlist <span className="optional">(optional)</span>
      </label>
      <p className="hint" id={`${id}-hint`}>
        One IPv4/IPv6 address or CIDR range per line, e.g. <code>203.0.113.0/24</code>. Requests from other
        addresses get <code>403 ip_not_allowed</code>. Leave empty to accept any source address.
      </p>
      <textarea
        id={id}
        name="ipAllowlist"
        rows={4}
        value={value}
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        aria-invalid={invalid}
        aria-describedby={describedBy}
        onChange={(e) => onChange(e.target.value)}
        className="mono"
        placeholder={'10.0.0.0/8\n2001:db8::/32'}
      />
      <div id={`${id}-errors`} aria-live="polite">
        {(errors.length > 0 || serverError) && (
          <ul className="field-errors" data-testid="allowlist-errors">
            {errors.map((e) => (
              <li key={`${e.line}-${e.message}`}>
                {e.line > 0 ? (
                  <>
                    Line {e.line}: <code>{e.value}</code> — {e.message}
                  </>
                ) : (
                  e.message
                )}
              </li>
            ))}
            {serverError && <li className="pre-line">Server: {serverError}</li>}
          </ul>
        )}
      </div>
      {warnings.length > 0 && (
        <ul className="field-warnings" id={`${id}-warnings`}>
          {warnings.map((w) => (
            <li key={`${w.line}-${w.message}`}>
              Line {w.line}: <code>{w.value}</code> — {w.message}
            </li>
          ))}
        </ul>
      )}
      {result.entries.length > 0 && errors.length === 0 && (
        <p className="field-ok">
          {result.entries.length} {result.entries.length === 1 ? 'entry' : 'entries'} OK
        </p>
      )}
    </div>
  );
}

export function allowlistToText(list: readonly string[]): string {
  return list.join('\n');
}
