// loadfile.csv: the review-platform load file (Relativity, Nuix): a row per item (message or
// attachment), RFC 4180 quoting, with its ids, dates, participants, path, size and hashes.
import type { MessageLine } from './layout';

export const LOADFILE_HEADER = [
  'DocID',
  'ParentDocID',
  'ItemType',
  'MessageID',
  'ExternalID',
  'EndpointID',
  'ReceivedAt',
  'OccurredAt',
  'From',
  'To',
  'FileName',
  'Path',
  'NativePath',
  'SizeBytes',
  'SHA256',
  'MD5',
] as const;

const cell = (v: string | number | null | undefined) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const row = (cells: (string | number | null | undefined)[]) => `${cells.map(cell).join(',')}\r\n`;

export const loadfileHeader = () => row([...LOADFILE_HEADER]);

/** The message row (its raw body is the native file) and one row per attachment. */
export function loadfileRows(line: MessageLine, rawMd5: string): string {
  const from = line.from?.identifier ?? '';
  const to = (line.to ?? []).map((p) => p.identifier).join('; ');
  const base = [line.message_id, line.external_id, line.endpoint_id, line.received_at, line.occurred_at];
  let out = row([
    line.message_id,
    '',
    'message',
    ...base,
    from,
    to,
    `${line.message_id}.json`,
    line.eml ?? line.raw.path,
    line.raw.path,
    line.raw.size,
    line.raw.sha256,
    rawMd5,
  ]);
  for (const a of line.attachments) {
    out += row([
      `${line.message_id}.${a.ordinal}`,
      line.message_id,
      'attachment',
      ...base,
      from,
      to,
      a.filename,
      a.path,
      a.path,
      a.size,
      a.sha256,
      a.md5,
    ]);
  }
  return out;
}
