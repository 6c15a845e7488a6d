// An RFC 5322 message per archived record, for review tools that ingest e-mail: From/To/Date/
// Message-ID from the record, the body as text/plain, each attachment as a MIME part with its
// filename and content type, and X-Archive-* headers carrying ids and hashes. Deterministic (the
// boundary derives from the message id), so a resumed export writes byte-identical files.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type Mail from 'nodemailer/lib/mailer';
import type { MessageLine } from './layout';

type Participant = NonNullable<MessageLine['from']>;

const EMAILISH = /^[^\s@<>"(),;:\\[\]]+@[^\s@<>"(),;:\\[\]]+$/;

/**
 * An address for a participant. Identifiers that are not e-mail addresses (a Slack user id, a
 * phone number) keep their exact form in the display name and X-Archive-*-Identifier headers;
 * the address is then a placeholder in the reserved .invalid domain (RFC 2606).
 */
export function addressOf(p: Participant): Mail.Address {
  if (EMAILISH.test(p.identifier)) return { name: p.display_name ?? '', address: p.identifier };
  const local = p.identifier.replace(/[^\w.+-]+/g, '_').slice(0, 64) || 'participant';
  return { name: p.display_name ?? p.identifier, address: `${local}@participant.invalid` };
}

export interface EmlAttachment {
  /** A file on disk (streamed, never buffered). */
  file: string;
  filename: string;
  contentType: string;
  sha256: string;
}

export function emlHeaders(line: MessageLine): Record<string, string> {
  return {
    'X-Archive-Message-Id': line.message_id,
    'X-Archive-External-Id': line.external_id,
    'X-Archive-Tenant-Id': line.tenant_id,
    'X-Archive-Endpoint-Id': line.endpoint_id,
    'X-Archive-Received-At': line.received_at,
    'X-Archive-Raw-SHA256': line.raw.sha256,
    'X-Archive-Manifest-SHA256': line.manifest.sha256,
    'X-Archive-Leaf-Index': String(line.leaf_index),
    ...(line.from ? { 'X-Archive-From-Identifier': line.from.identifier } : {}),
  };
}

export function buildEml(line: MessageLine, attachments: EmlAttachment[]): Readable {
  const date = new Date(line.occurred_at ?? line.received_at);
  const options: Mail.Options & { baseBoundary: string } = {
    from: line.from
      ? addressOf(line.from)
      : { name: 'unknown sender', address: 'unknown@participant.invalid' },
    to: (line.to ?? []).map(addressOf),
    date,
    messageId: `<${line.message_id}@webhook-archive.invalid>`,
    subject: `${line.endpoint_name ?? line.endpoint_id}: ${line.external_id}`,
    text: line.body ?? '',
    // Prepared: one line each (no folding), so every parser reads the exact hash back.
    headers: Object.fromEntries(
      Object.entries(emlHeaders(line)).map(([k, v]) => [
        k,
        { prepared: true, value: v.replace(/[\r\n]+/g, ' ') },
      ]),
    ),
    attachments: attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      path: a.file,
      contentTransferEncoding: 'base64',
      headers: { 'X-Archive-SHA256': a.sha256 },
    })),
    baseBoundary: createHash('sha256').update(line.message_id).digest('hex').slice(0, 16),
  };
  return new MailComposer(options).compile().createReadStream();
}
