// GET /api/exports/<id>/download: the finished bundle, with the admin key (or a UI session).
// Resumable: `Range: bytes=…` (one range) answers 206 with Content-Range; `If-Range` with the
// ETag (the bundle's SHA-256) guards a resume against a different file. X-Content-SHA256 is the
// whole bundle's hash, so a client can check the reassembled file.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { and, eq } from 'drizzle-orm';
import { exportJobs } from '../../../db/schema';
import { bundleFile } from '../../../export/build';
import { authorizeExportDownload } from '../auth/download-access';
import type { ServerDeps } from '../deps';
import type { AdminAuthGuard } from './admin-auth-guard';
import { HttpError, sendError } from './respond';

export const EXPORT_DOWNLOAD_PREFIX = '/api/exports/';
const ROUTE = /^\/api\/exports\/([0-9a-f-]{36})\/download$/;

export type ByteRange = { start: number; end: number } | 'unsatisfiable' | null;

/** RFC 9110 §14.1.2, one range only (a multi-range request gets the whole file: allowed). */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, a, b] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export function createExportDownloadHandler(deps: ServerDeps, guard?: AdminAuthGuard) {
  return async function handleExportDownload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new HttpError('method_not_allowed', 'use GET', { allow: 'GET, HEAD' });
      const principal = await authorizeExportDownload(deps, req, guard);
      const match = ROUTE.exec((req.url ?? '').split('?')[0] ?? '');
      if (!match) throw new HttpError('not_found', 'no such download');
      const id = match[1]!;
      const [job] = await deps.db
        .select()
        .from(exportJobs)
        .where(and(eq(exportJobs.id, id), eq(exportJobs.tenantId, principal.tenantId)));
      if (!job) throw new HttpError('not_found', `export ${id} not found`);
      if (job.state === 'expired')
        throw new HttpError(
          'export_expired',
          `export ${id}'s bundle was deleted after the retention period; create the export again`,
        );
      if (job.state !== 'completed' || !job.sha256 || job.size === null)
        throw new HttpError('not_stored', `export ${id} is ${job.state}${job.error ? `: ${job.error}` : ''}`);
      const file = bundleFile(deps.config.EXPORT_DIR, id);
      const size = (await stat(file).catch(() => null))?.size;
      if (size !== job.size) {
        deps.log.error(
          { exportId: id, file, expected: job.size, actual: size },
          'export bundle missing or altered',
        );
        throw new HttpError('not_stored', `export ${id}'s bundle is no longer on disk`);
      }
      const etag = `"${job.sha256}"`;
      const ifRange = req.headers['if-range'];
      let range = parseRange(req.headers.range, size);
      if (range && ifRange !== undefined && ifRange !== etag) range = null; // changed: send it all
      const common = {
        'accept-ranges': 'bytes',
        etag,
        'x-content-sha256': job.sha256,
        'content-type': 'application/zip',
        'content-disposition': `attachment; filename="export-${id}.zip"`,
        'cache-control': 'no-store',
      };
      if (range === 'unsatisfiable') {
        res.writeHead(416, { ...common, 'content-range': `bytes */${size}`, 'content-length': 0 });
        return void res.end();
      }
      await principal.record(id, req.headers.range ?? null);
      const { start, end } = range ?? { start: 0, end: size - 1 };
      res.writeHead(range ? 206 : 200, {
        ...common,
        'content-length': size === 0 ? 0 : end - start + 1,
        ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
      });
      if (req.method === 'HEAD' || size === 0) return void res.end();
      await pipeline(createReadStream(file, { start, end }), res).catch(() => res.destroy());
    } catch (err) {
      if (err instanceof HttpError) return sendError(res, err);
      deps.log.error({ err }, 'export download failed');
      sendError(
        res,
        new HttpError('unavailable', 'the archive is temporarily unavailable; retry later', {
          'retry-after': '5',
        }),
      );
    }
  };
}
