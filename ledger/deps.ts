// What the ledger needs, opened once per process from the configuration: the signing keyring
// and the name under which this archive's logs are published.

import { type Keyring, openKeyring } from '../evidence/signing-key';
import type { Config } from '../lib/config';

export interface EvidenceDeps {
  keyring: Keyring;
  /** Host part of PUBLIC_BASE_URL: log origins are `<host>/webhook-archive/<tenant id>`. */
  logHost: string;
  auditSample: number;
  auditIntervalSeconds: number;
}

export function openEvidence(
  config: Pick<
    Config,
    'DATA_DIR' | 'SIGNING_KEY' | 'PUBLIC_BASE_URL' | 'LEDGER_AUDIT_SAMPLE' | 'LEDGER_AUDIT_INTERVAL_SECONDS'
  >,
): EvidenceDeps {
  return {
    keyring: openKeyring(config),
    logHost: new URL(config.PUBLIC_BASE_URL).host,
    auditSample: config.LEDGER_AUDIT_SAMPLE,
    auditIntervalSeconds: config.LEDGER_AUDIT_INTERVAL_SECONDS,
  };
}

/** The tenant log's C2SP origin, which is also its signed-note key name. */
export function logOrigin(logHost: string, tenantId: string): string {
  return `${logHost}/webhook-archive/${tenantId}`;
}
