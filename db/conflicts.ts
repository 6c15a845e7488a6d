// A duplicate whose bytes differ from the stored message is never silently dropped: it is
// recorded in the audit log. Used by the ingest path and the workflow alike.
import { audit } from './audit';
import type { Db, Tx } from './client';

/** Who sent a message and which message it is: enough to audit a conflicting duplicate. */
export interface MessageIdentity {
  tenantId: string;
  endpointId: string;
  messageId: string;
  externalId: string;
  requestId: string;
  sourceIp: string | null;
}

/** A duplicate whose bytes differ from the stored message: kept as evidence, never dropped silently. */
export async function recordConflict(
  db: Db | Tx,
  input: MessageIdentity & { raw: { sha256: string; size: number } },
  storedSha256: string,
  actor: 'ingest' | 'worker',
): Promise<void> {
  await audit(db, {
    tenantId: input.tenantId,
    actor,
    action: 'message.duplicate_conflict',
    targetType: 'message',
    targetId: input.messageId,
    details: {
      endpointId: input.endpointId,
      externalId: input.externalId,
      storedRawSha256: storedSha256,
      receivedRawSha256: input.raw.sha256,
      receivedRawSize: input.raw.size,
      requestId: input.requestId,
      sourceIp: input.sourceIp,
    },
  });
}
