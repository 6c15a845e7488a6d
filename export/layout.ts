// Where everything sits in an export bundle, and the shapes of its index files. One home for
// both the builder (export/build.ts) and the offline verifier (export/verify.ts): a regulator's
// verifier reads exactly what the builder wrote.
import { z } from 'zod';

export const BUNDLE_FORMAT = 'webhook-archive-export';
export const BUNDLE_VERSION = 1;

export const EXPORT_MANIFEST = 'EXPORT-MANIFEST.json';
export const MESSAGES_JSONL = 'messages.jsonl';
export const LOADFILE_CSV = 'loadfile.csv';
export const README_TXT = 'README.txt';
export const CHECKPOINT_FILE = 'proofs/checkpoint.txt';
export const KEYS_FILE = 'proofs/keys.json';

export const rawPath = (messageId: string) => `raw/${messageId}.json`;
export const manifestPath = (messageId: string) => `manifests/${messageId}.json`;
export const proofPath = (messageId: string) => `proofs/${messageId}.tlog-proof`;
export const emlPath = (messageId: string) => `eml/${messageId}.eml`;
export const attachmentPath = (messageId: string, ordinal: number, filename: string) =>
  `attachments/${messageId}/${ordinal}-${safeName(filename)}`;
export const rsmfPath = (endpointId: string, day: string, part: number) =>
  `rsmf/${endpointId}/${day}${part > 0 ? `-${part + 1}` : ''}.rsmf`;

/** A file name any unzip tool writes safely on any OS: no separators, no dot-dot, bounded. */
export function safeName(filename: string): string {
  const cleaned = filename.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '_');
  return (cleaned || 'file').slice(0, 120);
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const participant = z.looseObject({ identifier: z.string(), display_name: z.string().optional() });

export const receiptSchema = z.object({
  v: z.literal(1),
  message_id: z.string(),
  external_id: z.string(),
  endpoint_id: z.string(),
  tenant_id: z.string(),
  raw_sha256: hex64,
  received_at: z.string(),
  key_id: z.string(),
  signature: z.string(),
});

/** One line of messages.jsonl: the record, where its files are, and its evidence. */
export const messageLineSchema = z.object({
  message_id: z.string(),
  external_id: z.string(),
  tenant_id: z.string(),
  endpoint_id: z.string(),
  endpoint_name: z.string().nullable(),
  received_at: z.string(),
  occurred_at: z.string().nullable(),
  from: participant.nullable(),
  to: z.array(participant).nullable(),
  body: z.string().nullable(),
  extra: z.record(z.string(), z.unknown()),
  raw: z.object({ path: z.string(), sha256: hex64, size: z.number() }),
  manifest: z.object({ path: z.string(), sha256: hex64 }),
  leaf_index: z.number().int().nonnegative(),
  proof: z.string(),
  receipt: receiptSchema,
  eml: z.string().nullable(),
  attachments: z.array(
    z.object({
      ordinal: z.number(),
      filename: z.string(),
      content_type: z.string(),
      source: z.string(),
      url: z.string().nullable(),
      status: z.string(),
      size: z.number().nullable(),
      sha256: hex64.nullable(),
      md5: z.string().nullable(),
      path: z.string().nullable(),
    }),
  ),
});
export type MessageLine = z.infer<typeof messageLineSchema>;

export const fileEntrySchema = z.object({ path: z.string(), sha256: hex64, size: z.number() });
export type FileEntry = z.infer<typeof fileEntrySchema>;

/** EXPORT-MANIFEST.json: every other file of the bundle by SHA-256, signed by the archive. */
export const exportManifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  export_id: z.string(),
  tenant_id: z.string(),
  created_at: z.string(),
  filters: z.record(z.string(), z.unknown()),
  messages: z.number().int().nonnegative(),
  checkpoint: z.object({ origin: z.string(), tree_size: z.number(), root_hash: hex64 }).nullable(),
  files: z.array(fileEntrySchema),
  key_id: z.string(),
  /** base64 Ed25519 over the RFC 8785 (JCS) form of every other member. */
  signature: z.string(),
});
export type ExportManifest = z.infer<typeof exportManifestSchema>;
