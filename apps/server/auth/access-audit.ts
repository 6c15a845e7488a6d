// The access audit: every read of message content is recorded with who, what, when and from
// where, in the same append-only audit log as changes. Written BEFORE the content is returned:
// if the record cannot be written, the read fails, so no read goes unrecorded.
import { audit } from '../../../db/audit';
import type { Db } from '../../../db/client';
import type { Principal } from './principal';

export const ACCESS_ACTIONS = [
  'message.viewed',
  'message.downloaded',
  'attachment.downloaded',
  'export.downloaded',
  'messages.searched',
  'messages.listed',
] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

export async function recordAccess(
  db: Db,
  principal: Principal,
  action: AccessAction,
  target: { type: string; id: string | null },
  details: Record<string, unknown> = {},
): Promise<void> {
  await audit(db, {
    tenantId: principal.tenantId,
    actor: principal.actor,
    action,
    targetType: target.type,
    targetId: target.id,
    sourceIp: principal.sourceIp,
    details: { ...details, role: principal.role, via: principal.via },
  });
}
