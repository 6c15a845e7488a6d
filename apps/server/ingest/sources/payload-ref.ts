// The mapped message's bytes travel to the workflow like the raw body does: inline when small,
// otherwise sealed first as a claim-check object (content-addressed, same retention).

import { sha256Hex } from '../../../../lib/crypto';
import type { RawBodyRef } from '../../../../workflows/types';
import { rawBodyKey, retainUntil } from '../../../../worm/keys';
import type { WormStore } from '../../../../worm/store';

export async function mappedPayloadRef(
  deps: { worm: WormStore; inlineBodyMaxBytes: number },
  req: { tenantId: string; receivedAt: Date; retentionDays: number; payload: Buffer },
): Promise<RawBodyRef> {
  const sha256 = sha256Hex(req.payload);
  const ref: RawBodyRef = { sha256, size: req.payload.length };
  if (req.payload.length <= deps.inlineBodyMaxBytes) {
    ref.inlineBase64 = req.payload.toString('base64');
    return ref;
  }
  const put = await deps.worm.put(rawBodyKey(req.tenantId, sha256), req.payload, {
    contentType: 'application/json',
    retainUntil: retainUntil(req.receivedAt, req.retentionDays),
    expectedSha256: sha256,
  });
  ref.claimCheckKey = put.key;
  return ref;
}
