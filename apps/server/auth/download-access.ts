// The downloads' share of authentication, roles and the access audit, kept out of download.ts.
import type { IncomingMessage } from 'node:http';
import type { ServerDeps } from '../deps';
import type { AdminAuthGuard } from '../http/admin-auth-guard';
import { HttpError } from '../http/respond';
import { recordAccess } from './access-audit';
import { isAllowed } from './permissions';
import { authenticate } from './principal';

/**
 * 401 without valid credentials, 403 without a role allowed to download. The result's `record`
 * writes the access audit entry; call it once the object is known to exist, before streaming.
 */
export async function authorizeDownload(
  deps: Pick<ServerDeps, 'db' | 'config'>,
  req: IncomingMessage,
  ordinal: string | undefined,
  guard?: AdminAuthGuard,
) {
  const { principal, csrfRejected } = await authenticate(deps, req);
  if (csrfRejected) throw new HttpError('csrf_failed', 'missing or invalid CSRF token (X-CSRF-Token)');
  if (!principal)
    throw (
      guard?.refusal(req) ?? new HttpError('unauthorized', 'missing, invalid, revoked or expired credentials')
    );
  const permission = ordinal === undefined ? 'download.raw' : 'download.attachment';
  if (!isAllowed(permission, principal.role)) {
    throw new HttpError('forbidden', `the ${principal.role} role may not download`);
  }
  return {
    ...principal,
    record: (messageId: string) =>
      ordinal === undefined
        ? recordAccess(deps.db, principal, 'message.downloaded', { type: 'message', id: messageId })
        : recordAccess(
            deps.db,
            principal,
            'attachment.downloaded',
            { type: 'message', id: messageId },
            { ordinal: Number(ordinal) },
          ),
  };
}

/** The same checks for an export bundle's download (permission download.export). */
export async function authorizeExportDownload(
  deps: Pick<ServerDeps, 'db' | 'config'>,
  req: IncomingMessage,
  guard?: AdminAuthGuard,
) {
  const { principal, csrfRejected } = await authenticate(deps, req);
  if (csrfRejected) throw new HttpError('csrf_failed', 'missing or invalid CSRF token (X-CSRF-Token)');
  if (!principal)
    throw (
      guard?.refusal(req) ?? new HttpError('unauthorized', 'missing, invalid, revoked or expired credentials')
    );
  if (!isAllowed('download.export', principal.role))
    throw new HttpError('forbidden', `the ${principal.role} role may not download exports`);
  return {
    ...principal,
    record: (exportId: string, range: string | null) =>
      recordAccess(deps.db, principal, 'export.downloaded', { type: 'export', id: exportId }, { range }),
  };
}
