// New endpoint: sender (contract or a SaaS preset), auth mode, name, optional allowlist → the URL
// and the secret, shown once.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { AllowlistField } from '../components/allowlist-field';
import { SecretPanel } from '../components/secret-panel';
import { initialSourceState, SourcePicker, sourceFormError, sourceInput } from '../components/source-fields';
import { Alert, PageHeader, Spinner } from '../components/ui';
import { validateAllowlist } from '../lib/cidr';
import { Link, navigate } from '../router';
import { errorMessage, type RouterInputs, type RouterOutputs, useTRPC } from '../trpc';
import { ENDPOINT_CRUMBS } from './endpoints';

type AuthMode = NonNullable<RouterInputs['endpoints']['create']['authMode']>;

type Created = RouterOutputs['endpoints']['create'];

export function NewEndpointPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [authMode, setAuthMode] = useState<AuthMode>('hmac');
  const [name, setName] = useState('');
  const [source, setSource] = useState(initialSourceState);
  const [sourceError, setSourceError] = useState<string | null>(null);
  const [allowlist, setAllowlist] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [created, setCreated] = useState<Created | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'New endpoint · Webhook Archive';
  }, []);

  const create = useMutation(
    trpc.endpoints.create.mutationOptions({
      onSuccess: (data) => {
        setCreated(data);
        void queryClient.invalidateQueries(trpc.endpoints.pathFilter());
      },
    }),
  );

  const allow = validateAllowlist(allowlist);
  const serverError = create.isError ? errorMessage(create.error) : null;
  const allowlistServerError =
    serverError && /IP allowlist|ipAllowlist/.test(serverError) ? serverError : null;

  function submit(e: FormEvent) {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      setNameError('Give the endpoint a name, e.g. the producer that will use it.');
      nameRef.current?.focus();
      return;
    }
    if (allow.hasErrors) {
      document.getElementById(`${id}-allowlist`)?.querySelector('textarea')?.focus();
      return;
    }
    setNameError(null);
    const problem = sourceFormError(source);
    setSourceError(problem);
    if (problem) return;
    create.mutate({
      name: trimmed,
      ...sourceInput(source),
      ...(source.source === 'comma' ? { authMode } : {}),
      ipAllowlist: allow.entries,
    });
  }

  if (created) {
    return (
      <>
        <PageHeader
          title="Endpoint created"
          crumbs={[
            ...ENDPOINT_CRUMBS,
            { label: 'Inbound endpoints', to: '/endpoints' },
            { label: 'New endpoint' },
          ]}
        />
        <SecretPanel
          title={`“${created.endpoint.name}” is ready`}
          intro="Point your producer at this URL and give it the secret."
          url={created.endpoint.url}
          secret={created.secret}
          authMode={created.endpoint.authMode}
          source={created.endpoint.source}
          doneLabel="I've stored the secret — open the endpoint"
          onDone={() => navigate(`/endpoints/${created.endpoint.id}`)}
        />
      </>
    );
  }

  return (
    <>
      <PageHeader
        title="New endpoint"
        crumbs={[
          ...ENDPOINT_CRUMBS,
          { label: 'Inbound endpoints', to: '/endpoints' },
          { label: 'New endpoint' },
        ]}
        description="Choose who sends (your own producer, or a SaaS tool such as GitHub or Stripe) and how it authenticates, name the endpoint and optionally restrict source addresses."
      />
      <form
        className="panel form"
        onSubmit={submit}
        noValidate
        aria-describedby={serverError && !allowlistServerError ? `${id}-error` : undefined}
      >
        <SourcePicker value={source} onChange={setSource} />
        {sourceError && <p className="field-error">{sourceError}</p>}

        {source.source === 'comma' && (
          <fieldset className="field">
            <legend>Authentication</legend>
            <div className="radio-cards">
              <label className={`radio-card${authMode === 'hmac' ? ' selected' : ''}`}>
                <input
                  type="radio"
                  name="authMode"
                  value="hmac"
                  checked={authMode === 'hmac'}
                  onChange={() => setAuthMode('hmac')}
                />
                <span className="radio-card-body">
                  <span className="radio-card-title">HMAC signature</span>
                  <span className="radio-card-text">
                    The producer signs the raw body with HMAC-SHA256 and sends <code>X-Comma-Signature</code>.
                    The secret never travels over the wire.
                  </span>
                </span>
              </label>
              <label className={`radio-card${authMode === 'bearer' ? ' selected' : ''}`}>
                <input
                  type="radio"
                  name="authMode"
                  value="bearer"
                  checked={authMode === 'bearer'}
                  onChange={() => setAuthMode('bearer')}
                />
                <span className="radio-card-body">
                  <span className="radio-card-title">Bearer token</span>
                  <span className="radio-card-text">
                    The producer sends <code>Authorization: Bearer &lt;secret&gt;</code>. Simplest for tools
                    that can only set a header.
                  </span>
                </span>
              </label>
            </div>
          </fieldset>
        )}

        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input
            ref={nameRef}
            id={`${id}-name`}
            name="name"
            type="text"
            maxLength={200}
            autoComplete="off"
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              if (nameError && e.target.value.trim()) setNameError(null);
            }}
            aria-invalid={nameError ? true : undefined}
            aria-describedby={`${id}-name-hint${nameError ? ` ${id}-name-error` : ''}`}
          />
          <p className="hint" id={`${id}-name-hint`}>
            Shown on your dashboard, e.g. “Zendesk audit feed”.
          </p>
          {nameError && (
            <p className="field-error" id={`${id}-name-error`}>
              {nameError}
            </p>
          )}
        </div>

        <div id={`${id}-allowlist`}>
          <AllowlistField value={allowlist} onChange={setAllowlist} serverError={allowlistServerError} />
        </div>

        {serverError && !allowlistServerError && (
          <div id={`${id}-error`}>
            <Alert title="The endpoint was not created">{serverError}</Alert>
          </div>
        )}

        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={create.isPending}>
            {create.isPending && <Spinner />}
            Create endpoint
          </button>
          <Link to="/endpoints" className="btn">
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}
