// An inline attachment that declares a sha256 must match it: refused at the door (422), not
// discovered later by the worker.
import { sha256Hex } from '../../../lib/crypto';
import type { Payload } from '../../../lib/payload';
import { HttpError } from '../http/respond';

export function checkInlineAttachmentHashes(payload: Payload): void {
  const issues = payload.attachments.flatMap((a, i) =>
    a.content_base64 !== undefined &&
    a.sha256 !== undefined &&
    sha256Hex(Buffer.from(a.content_base64, 'base64')) !== a.sha256.toLowerCase()
      ? [{ path: `attachments.${i}.sha256`, message: 'does not match the SHA-256 of content_base64' }]
      : [],
  );
  if (issues.length > 0) {
    throw new HttpError('validation_failed', 'an attachment does not match its declared sha256', {}, issues);
  }
}
