// Identifiers derived from (endpoint, external_id). Deterministic on purpose: every duplicate
// request maps to the same workflow and the same message id, with no lookup.
import { createHash } from 'node:crypto';

function digest(...parts: string[]): Buffer {
  const h = createHash('sha256');
  // Length-prefix each part so ("a","bc") and ("ab","c") cannot collide.
  for (const p of parts) h.update(`${Buffer.byteLength(p)}:${p};`);
  return h.digest();
}

/** The external_id is hashed: it may be long, or carry something sensitive. */
export function archiveWorkflowId(endpointId: string, externalId: string): string {
  return `archive-${endpointId}-${digest('workflow', endpointId, externalId).toString('hex').slice(0, 32)}`;
}

/** A UUID (version 8, RFC 9562 custom) from the same pair. */
export function messageIdFor(endpointId: string, externalId: string): string {
  const b = digest('message', endpointId, externalId).subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** One export run per export id (the export's own random UUID). */
export const exportWorkflowId = (exportId: string) => `export-${exportId}`;
