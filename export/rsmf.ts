// RSMF 2.0 (Relativity Short Message Format): one .rsmf per endpoint per UTC day, at most
// RSMF_MAX_EVENTS events each. A .rsmf is an EML whose first header is X-RSMF-Version: 2.0.0,
// with exactly one attachment, rsmf.zip, holding rsmf_manifest.json and the attachment files.
// Events stream to disk as they come, so a file of 10,000 events never sits in memory.
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type Mail from 'nodemailer/lib/mailer';
import { type MessageLine, safeName } from './layout';
import { writeZip, type ZipEntry } from './zip';

export const RSMF_VERSION = '2.0.0';
export const RSMF_MAX_EVENTS = 10_000;

const EMAILISH = /^[^\s@<>"(),;:\\[\]]+@[^\s@<>"(),;:\\[\]]+$/;

interface RsmfParticipant {
  id: string;
  display?: string;
  email?: string;
}

/** The conversation a group of messages forms: one endpoint's traffic on one day. */
export interface RsmfGroup {
  endpointId: string;
  endpointName: string | null;
  day: string;
  part: number;
}

export class RsmfWriter {
  readonly #dir: string;
  readonly #group: RsmfGroup;
  readonly #participants = new Map<string, RsmfParticipant>();
  readonly #zipEntries: ZipEntry[] = [];
  #events: WriteStream | undefined;
  #count = 0;

  constructor(workDir: string, group: RsmfGroup) {
    this.#dir = workDir;
    this.#group = group;
  }

  get count(): number {
    return this.#count;
  }

  async add(line: MessageLine, attachmentFile: (ordinal: number) => string): Promise<void> {
    if (!this.#events) {
      await mkdir(this.#dir, { recursive: true });
      this.#events = createWriteStream(path.join(this.#dir, 'events.part'));
    }
    for (const p of [line.from, ...(line.to ?? [])]) {
      if (!p || this.#participants.has(p.identifier)) continue;
      this.#participants.set(p.identifier, {
        id: p.identifier,
        ...(p.display_name ? { display: p.display_name } : {}),
        ...(EMAILISH.test(p.identifier) ? { email: p.identifier } : {}),
      });
    }
    const attachments = line.attachments.flatMap((a) => {
      if (a.path === null) return [];
      const id = `${line.message_id}-${a.ordinal}-${safeName(a.filename)}`;
      this.#zipEntries.push({ name: id, file: attachmentFile(a.ordinal) });
      return [{ id, display: a.filename, ...(a.size !== null ? { size: a.size } : {}) }];
    });
    const event = {
      id: line.message_id,
      type: 'message',
      ...(line.from ? { participant: line.from.identifier } : {}),
      conversation: this.#group.endpointId,
      timestamp: line.occurred_at ?? line.received_at,
      body: line.body ?? '',
      ...(attachments.length > 0 ? { attachments } : {}),
      custom: [
        { name: 'message_id', value: line.message_id },
        { name: 'external_id', value: line.external_id },
        { name: 'manifest_sha256', value: line.manifest.sha256 },
      ],
    };
    const text = `${this.#count === 0 ? '' : ','}${JSON.stringify(event)}`;
    this.#count++;
    if (!this.#events.write(text)) await once(this.#events, 'drain');
  }

  /** Writes the .rsmf to `out` and removes the working files. */
  async finish(out: string): Promise<void> {
    const events = this.#events;
    if (!events) throw new Error('an RSMF file needs at least one event');
    events.end();
    await once(events, 'finish');
    const g = this.#group;
    const participants = [...this.#participants.values()];
    const head = {
      version: RSMF_VERSION,
      eventcollectionid: `${g.endpointId}/${g.day}`,
      participants,
      conversations: [
        {
          id: g.endpointId,
          display: g.endpointName ?? g.endpointId,
          platform: 'webhook-archive',
          type: 'channel',
          participants: participants.map((p) => p.id),
        },
      ],
    };
    // {"version":…,"conversations":[…],"events":[<streamed events>]}
    const manifestFile = path.join(this.#dir, 'rsmf_manifest.json');
    const manifest = createWriteStream(manifestFile);
    manifest.write(`${JSON.stringify(head).slice(0, -1)},"events":[`);
    await pipeline(createReadStream(path.join(this.#dir, 'events.part')), manifest, { end: false });
    manifest.end(']}');
    await once(manifest, 'finish');

    const zipFile = path.join(this.#dir, 'rsmf.zip');
    await writeZip([{ name: 'rsmf_manifest.json', file: manifestFile }, ...this.#zipEntries], zipFile);

    const mail: Mail.Options & { baseBoundary: string } = {
      from: { name: 'Webhook archive', address: 'export@webhook-archive.invalid' },
      to: { name: g.endpointName ?? g.endpointId, address: 'conversation@webhook-archive.invalid' },
      date: new Date(`${g.day}T00:00:00Z`),
      messageId: `<rsmf-${g.endpointId}-${g.day}-${g.part}@webhook-archive.invalid>`,
      subject: `RSMF: ${g.endpointName ?? g.endpointId} ${g.day}${g.part > 0 ? ` (part ${g.part + 1})` : ''}`,
      headers: {
        'X-RSMF-Generator': 'webhook-archive export',
        'X-RSMF-EventCount': String(this.#count),
        'X-RSMF-BeginDate': `${g.day}T00:00:00Z`,
      },
      text: `${this.#count} messages of endpoint ${g.endpointName ?? g.endpointId} on ${g.day}.\n`,
      attachments: [
        {
          filename: 'rsmf.zip',
          contentType: 'application/zip',
          path: zipFile,
          contentTransferEncoding: 'base64',
        },
      ],
      baseBoundary: `rsmf${g.part}${g.day.replace(/-/g, '')}`,
    };
    const sink = createWriteStream(`${out}.tmp`);
    // RSMF: X-RSMF-Version must be the first header, ahead of whatever order the composer uses.
    sink.write(`X-RSMF-Version: ${RSMF_VERSION}\r\n`);
    await pipeline(new MailComposer(mail).compile().createReadStream(), sink);
    // Renamed into place last: an existing .rsmf is a finished one (a resumed export keeps it).
    await rename(`${out}.tmp`, out);
    await rm(this.#dir, { recursive: true, force: true });
  }
}
