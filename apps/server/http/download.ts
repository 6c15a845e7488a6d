// GET /api/messages/<id>/attachments/<ordinal> and /api/messages/<id>/raw: streams a sealed
// WORM object to an admin, hashing it on the way. The expected SHA-256 goes out first (header);
// if the bytes read back differ, the connection is cut before the body completes, so a client
// can never mistake corrupted evidence for a complete download.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { and, eq } from 'drizzle-orm';
import { attachments, messages } from '../../../db/schema';
import { rawBodyKey } from '../../../worm/keys';
import { authorizeDownload } from '../auth/download-access';
import type { ServerDeps } from '../deps';
import type { AdminAuthGuard } from './admin-auth-guard';
import { HttpError, sendError } from './respond';

export const DOWNLOAD_PREFIX = '/api/messages/';
const ROUTE = /^\/api\/messages\/([0-9a-f-]{36})\/(raw|attachments\/(\d{1,6}))$/;

export function createDownloadHandler(deps: ServerDeps, guard?: AdminAuthGuard) {
  return async function handleDownload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method !== 'GET') throw new HttpError('method_not_allowed', 'use GET', { allow: 'GET' });
      const match = ROUTE.exec((req.url ?? '').split('?')[0] ?? '');
      const principal = await authorizeDownload(deps, req, match?.[3], guard);
      if (!match) throw new HttpError('not_found', 'no such download');
      const [, messageId, , ordinal] = match;
      const object = await findObject(deps, principal.tenantId, messageId!, ordinal);
      await principal.record(messageId!);

      const hash = createHash('sha256');
      let size = 0;
      const verify = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          size += chunk.length;
          cb(null, chunk);
        },
        flush(cb) {
          const actual = hash.digest('hex');
          if (actual !== object.sha256 || size !== object.size) {
            deps.log.error(
              { messageId, key: object.key, expected: object.sha256, actual },
              'WORM object failed verification',
            );
            cb(new Error('integrity check failed'));
          } else cb();
        },
      });
      const body = await deps.worm.get(object.key);
      res.writeHead(200, {
        'content-type': object.contentType,
        'content-length': object.size,
        'content-disposition': `attachment; filename="${object.filename.replace(/[^\w.-]+/g, '_')}"`,
        'x-content-sha256': object.sha256,
        'cache-control': 'no-store',
      });
      await pipeline(body, verify, res).catch(() => res.destroy());
    } catch (err) {
      if (err instanceof HttpError) return sendError(res, err);
      deps.log.error({ err }, 'download failed');
      sendError(
        res,
        new HttpError('unavailable', 'the archive is temporarily unavailable; retry later', {
          'retry-after': '5',
        }),
      );
    }
  };
}

async function findObject(
  deps: ServerDeps,
  tenantId: string,
  messageId: string,
  ordinal: string | undefined,
) {
  const [m] = await deps.db
    .select({ rawSha256: messages.rawSha256, rawSize: messages.rawSize, externalId: messages.externalId })
    .from(messages)
    .where(and(eq(messages.id, messageId), eq(messages.tenantId, tenantId)));
  if (!m) throw new HttpError('not_found', `message ${messageId} not found`);
  if (ordinal === undefined) {
    return {
      key: rawBodyKey(tenantId, m.rawSha256),
      sha256: m.rawSha256,
      size: m.rawSize,
      contentType: 'application/json',
      filename: `${messageId}.json`,
    };
  }
  const [a] = await deps.db
    .select()
    .from(attachments)
    .where(and(eq(attachments.messageId, messageId), eq(attachments.ordinal, Number(ordinal))));
  if (!a) throw new HttpError('not_found', `attachment ${ordinal} not found`);
  if (a.status !== 'stored' || !a.wormKey || !a.sha256 || a.size === null) {
    throw new HttpError('not_stored', `attachment ${ordinal} is ${a.status}${a.error ? `: ${a.error}` : ''}`);
  }
  return { key: a.wormKey, sha256: a.sha256, size: a.size, contentType: a.contentType, filename: a.filename };
}
