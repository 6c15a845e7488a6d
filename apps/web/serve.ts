// Serves the built admin UI (apps/web/dist) from the Node HTTP server: static files with the
// right content types and cache headers, SPA fallback to index.html for page routes, and no
// way out of the dist directory. Runs in Node (imported by apps/server/http/server.ts); the
// browser bundle never imports it.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { repoRoot } from '../../lib/repo-root';

/** Where `npm run build:web` writes the bundle. */
export const WEB_DIST_DIR = path.join(repoRoot, 'apps/web/dist');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

/** Vite fingerprints everything under assets/: safe to cache for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html and unhashed public files: always revalidate, so a new build shows up at once. */
const REVALIDATE = 'no-cache';

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
};

const NOT_BUILT_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>UI not built</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>UI not built: run npm run build:web</h1>
<p>The admin UI has not been built yet. Run <code>npm run build:web</code> (or <code>scripts/build-web</code>)
and reload this page. The admin API at <code>/trpc</code> and webhook ingest work without it.</p>
</body></html>
`;

export interface WebUiOptions {
  /** The built UI; defaults to apps/web/dist. */
  distDir?: string;
}

/**
 * Answers GET/HEAD for UI paths. Returns false when the request is not for the UI (another
 * method), so the caller can answer it. Callers route API paths before calling this.
 */
export function createWebUiHandler(opts: WebUiOptions = {}) {
  const root = path.resolve(opts.distDir ?? WEB_DIST_DIR);

  return async function serveWebUi(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const rawPath = (req.url ?? '/').split(/[?#]/, 1)[0] ?? '/';
    const rel = safeRelativePath(rawPath);
    if (rel === null) {
      sendText(res, req, 400, 'bad request path');
      return true;
    }

    const realRoot = await realpath(root).catch(() => null);
    if (realRoot === null || !(await isFile(path.join(realRoot, 'index.html')))) {
      send(res, req, 503, NOT_BUILT_HTML, {
        'content-type': CONTENT_TYPES['.html']!,
        'cache-control': 'no-store',
      });
      return true;
    }

    if (rel !== '' && rel !== 'index.html') {
      const file = await resolveInside(realRoot, rel);
      if (file) {
        await sendFile(req, res, file, rel.startsWith('assets/') ? IMMUTABLE : REVALIDATE);
        return true;
      }
      // A missing file (anything with an extension, or under assets/) is a 404, not the app:
      // serving HTML for a missing script only produces a confusing MIME error in the browser.
      if (rel.startsWith('assets/') || path.posix.extname(rel) !== '') {
        sendText(res, req, 404, 'not found');
        return true;
      }
    }
    // The SPA's own routes (/, /endpoints/…, /messages/…): the app shell.
    await sendFile(req, res, path.join(realRoot, 'index.html'), REVALIDATE);
    return true;
  };
}

/**
 * The URL path as a relative path inside the dist dir, or null if it is malformed or tries to
 * leave it (.., encoded separators, NUL, dotfiles).
 */
export function safeRelativePath(urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s.startsWith('.'))) return null;
  return segments.join('/');
}

/** The file's real path if it is a regular file inside root (symlinks resolved), else null. */
async function resolveInside(realRoot: string, rel: string): Promise<string | null> {
  const candidate = path.resolve(realRoot, rel);
  if (!candidate.startsWith(realRoot + path.sep)) return null;
  const real = await realpath(candidate).catch(() => null);
  if (real === null || !real.startsWith(realRoot + path.sep)) return null;
  return (await isFile(real)) ? real : null;
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isFile() ?? false;
}

async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, cacheControl: string) {
  const st = await stat(file);
  const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  const headers: Record<string, string | number> = {
    'content-type': type,
    'cache-control': cacheControl,
    etag,
    'last-modified': st.mtime.toUTCString(),
    ...(type.startsWith('text/html') ? SECURITY_HEADERS : { 'x-content-type-options': 'nosniff' }),
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': st.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const stream = createReadStream(file);
    stream.on('error', () => {
      res.destroy();
      resolve();
    });
    res.on('close', resolve);
    stream.pipe(res);
  });
}

function sendText(res: ServerResponse, req: IncomingMessage, status: number, text: string) {
  send(res, req, status, `${text}\n`, {
    'content-type': CONTENT_TYPES['.txt']!,
    'cache-control': 'no-store',
  });
}

function send(
  res: ServerResponse,
  req: IncomingMessage,
  status: number,
  body: string,
  headers: Record<string, string>,
) {
  if (res.headersSent) return;
  res.writeHead(status, {
    ...headers,
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
