// The manifest: the last object sealed for a message, binding every other one by SHA-256. One
// home for its shape (the zod schema), its bytes (canonical JSON, so a retried seal writes
// identical bytes) and the answer to "which objects belong to this message".
import { z } from 'zod';
import { canonicalJson } from '../lib/canonical-json';

export const MANIFEST_VERSION = 1;

const sealedObject = z.object({ key: z.string(), sha256: z.string(), size: z.number() });

export const manifestAttachmentSchema = z.looseObject({
  ordinal: z.number(),
  filename: z.string(),
  content_type: z.string(),
  source: z.string(),
  url: z.string().nullable(),
  status: z.string(),
  // Null when nothing was sealed (e.g. the fetch failed for good).
  key: z.string().nullable(),
  sha256: z.string().nullable(),
  size: z.number().nullable(),
  error: z.string().nullable(),
  provenance: z.unknown().nullable(),
});

// Loose: a verifier of this version must accept manifests a later version wrote with more fields.
export const manifestSchema = z.looseObject({
  manifest_version: z.number(),
  tenant_id: z.string(),
  endpoint: z.looseObject({ id: z.string(), name: z.string().nullable(), auth_mode: z.string() }),
  message_id: z.string(),
  external_id: z.string(),
  workflow_id: z.string(),
  request_id: z.string(),
  source_ip: z.string().nullable(),
  received_at: z.string(),
  retain_until: z.string(),
  raw_body: sealedObject,
  record: sealedObject,
  attachments: z.array(manifestAttachmentSchema),
});

export type Manifest = z.infer<typeof manifestSchema>;

/** The manifest's sealed bytes. */
export function manifestBytes(manifest: Manifest): Buffer {
  return Buffer.from(canonicalJson(manifest));
}

/** Parses sealed manifest bytes; throws on anything that is not a manifest. */
export function parseManifest(bytes: Uint8Array): Manifest {
  return manifestSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
}

/** Every object the manifest binds (raw body, record, each sealed attachment), manifest excluded. */
export function manifestKeys(manifest: Manifest): string[] {
  return [
    manifest.raw_body.key,
    manifest.record.key,
    ...manifest.attachments.flatMap((a) => (a.key === null ? [] : [a.key])),
  ];
}
