// Who may do what: the ONE table of every tRPC procedure and HTTP download and the roles allowed
// to call it. A procedure missing here is refused to everyone (FORBIDDEN), so a new procedure
// is unusable until someone decides its roles: add one line below.
//
//   admin     everything in the tenant
//   reviewer  search, read, download, export, legal hold
//   auditor   read, verify, export, proofs, the audit log; no secrets, no legal hold, no changes
import type { Role } from '../../../lib/roles';

const ADMIN = ['admin'] as const satisfies readonly Role[];
const READERS = ['admin', 'reviewer', 'auditor'] as const satisfies readonly Role[];
const REVIEWERS = ['admin', 'reviewer'] as const satisfies readonly Role[];
const AUDITORS = ['admin', 'auditor'] as const satisfies readonly Role[];

export const PERMISSIONS = {
  // tRPC procedures, by path.
  'auth.whoami': READERS,
  'endpoints.create': ADMIN,
  'endpoints.list': ADMIN,
  'endpoints.get': ADMIN,
  'endpoints.update': ADMIN,
  'endpoints.rotateSecret': ADMIN,
  'endpoints.delete': ADMIN,
  'messages.get': READERS,
  'messages.list': READERS,
  'messages.counts': READERS,
  'messages.search': READERS,
  'messages.volume': READERS,
  'messages.verify': READERS,
  'messages.setLegalHold': REVIEWERS,
  // Re-running a workflow is operating the archive, not reading it.
  'messages.reprocess': ADMIN,
  // Evidence: receipts, proofs and checkpoints are for anyone who may read the message;
  // reconciling a producer's list is the completeness check admins and auditors run.
  'messages.receipt': READERS,
  'messages.proof': READERS,
  'messages.reconcile': AUDITORS,
  'ledger.checkpoint': READERS,
  'ledger.consistency': READERS,
  'ledger.status': READERS,
  'endpoints.setExpectedCadence': ADMIN,
  'endpoints.silence': ADMIN,
  'apiKeys.create': ADMIN,
  'apiKeys.list': ADMIN,
  'apiKeys.revoke': ADMIN,
  'audit.list': AUDITORS,
  // What producers were answered, and why (operators and auditors; headers are masked).
  'requests.list': AUDITORS,
  'requests.traffic': AUDITORS,
  // Exports for regulators and e-discovery: everyone who may read may export (and see exports).
  'exports.create': READERS,
  'exports.get': READERS,
  'exports.list': READERS,
  // HTTP downloads (apps/server/http/download.ts, export-download.ts).
  'download.export': READERS,
  'download.raw': READERS,
  'download.attachment': READERS,
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

/** Fails closed: an unknown path allows nobody. */
export function isAllowed(path: string, role: Role): boolean {
  const roles: readonly Role[] | undefined = (PERMISSIONS as Record<string, readonly Role[]>)[path];
  return roles?.includes(role) ?? false;
}
