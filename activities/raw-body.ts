// Loads the exact bytes received, from the workflow input or the claim-check object, and
// proves they are the bytes the HTTP app hashed.
import { ApplicationFailure } from '@temporalio/activity';
import { sha256Hex } from '../lib/crypto';
import { parsePayload } from '../lib/payload';
import { type ArchiveMessageInput, NON_RETRYABLE, type RawBodyRef } from '../workflows/types';
import type { WormStore } from '../worm/store';

export async function loadRawBody(worm: WormStore, ref: RawBodyRef): Promise<Buffer> {
  let bytes: Buffer;
  if (ref.inlineBase64 !== undefined) {
    bytes = Buffer.from(ref.inlineBase64, 'base64');
  } else if (ref.claimCheckKey) {
    const chunks: Buffer[] = [];
    for await (const chunk of await worm.get(ref.claimCheckKey)) chunks.push(chunk as Buffer);
    bytes = Buffer.concat(chunks);
  } else {
    throw ApplicationFailure.nonRetryable(
      'raw body reference has neither inline bytes nor a key',
      NON_RETRYABLE.integrity,
    );
  }
  const actual = sha256Hex(bytes);
  if (actual !== ref.sha256) {
    throw ApplicationFailure.nonRetryable(
      `raw body hash mismatch: expected ${ref.sha256}, got ${actual}`,
      NON_RETRYABLE.integrity,
    );
  }
  return bytes;
}

/**
 * Sources hook: the message to validate and persist — the source preset's mapped payload when the
 * input carries one, else the raw body itself. (On main: re-point at the receipt's payload column.)
 */
export async function loadMessage(worm: WormStore, input: ArchiveMessageInput) {
  return parseOrFail(await loadRawBody(worm, input.payload ?? input.raw));
}

/** Parses the raw body with the same schema as the HTTP app; a refusal is final. */
export function parseOrFail(raw: Uint8Array) {
  const result = parsePayload(raw);
  if (!result.ok) {
    const detail =
      result.code === 'validation_failed'
        ? `: ${result.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`
        : '';
    throw ApplicationFailure.nonRetryable(`${result.message}${detail}`, NON_RETRYABLE.validation);
  }
  return result;
}
