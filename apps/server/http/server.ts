// One HTTP server: producer ingest, the tRPC admin API, health, and the admin UI (apps/web).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { createWebUiHandler } from '../../web/serve';
import { AUTH_PREFIX, createAuthHandler } from '../auth/http';
import type { ServerDeps } from '../deps';
import { createKeysHandler, KEYS_PATH } from '../evidence/keys-route';
import { createIngestHandler, INGEST_PREFIX } from '../ingest/handler';
import { createHttpContextFactory } from '../trpc/context';
import { appRouter } from '../trpc/root';
import { createAdminAuthGuard } from './admin-auth-guard';
import { attachBodyPace, bodyPaceFrom } from './body-pace';
import { createDownloadHandler, DOWNLOAD_PREFIX } from './download';
import { createExportDownloadHandler, EXPORT_DOWNLOAD_PREFIX } from './export-download';
import { createMetricsHandler } from './metrics';
import { Readiness, standardChecks } from './readiness';
import { HttpError, sendError, sendJson } from './respond';

export interface HttpServerOptions {
  /** Reports whether every dependency is ready; /healthz answers 503 until it does. */
  isReady?: () => boolean;
  /** The built admin UI; defaults to apps/web/dist. */
  webDistDir?: string;
  /** What /readyz probes; defaults to database, Temporal and the object store. */
  readiness?: Readiness;
}

/** What the admin UI needs to know that is not behind an admin key: where Temporal Web is. */
export function uiConfig(config: ServerDeps['config']) {
  return {
    temporalUiUrl: (config.TEMPORAL_UI_URL ?? `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`).replace(
      /\/+$/,
      '',
    ),
    namespace: config.TEMPORAL_NAMESPACE,
  };
}

export function createHttpServer(deps: ServerDeps, opts: HttpServerOptions = {}): Server {
  const ingest = createIngestHandler(deps);
  const adminAuth = createAdminAuthGuard(deps);
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    createContext: createHttpContextFactory(deps, adminAuth),
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR')
        deps.log.error({ err: error.cause ?? error, path }, 'trpc error');
    },
  });

  const web = createWebUiHandler({ distDir: opts.webDistDir });
  const download = createDownloadHandler(deps, adminAuth);
  const exportDownload = createExportDownloadHandler(deps, adminAuth);
  const auth = createAuthHandler(deps);
  const uiConfigBody = uiConfig(deps.config);
  const bodyPace = bodyPaceFrom(deps.config);
  const readiness = opts.readiness ?? new Readiness(standardChecks(deps));
  const metricsHandler = createMetricsHandler(deps);
  const keys = createKeysHandler(deps.evidence);

  const server = createServer({ requestTimeout: 120_000, headersTimeout: 30_000 }, (req, res) => {
    attachBodyPace(req, bodyPace);
    route(req, res).catch((err) => {
      deps.log.error({ err }, 'unhandled request error');
      sendError(res, new HttpError('internal_error', 'internal error'));
    });
  });
  // Keep-alive beyond typical load-balancer idle timeouts avoids connection churn under load.
  server.keepAliveTimeout = 65_000;
  server.on('close', () => adminAuth.close());

  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = req.url ?? '/';
    if (url.startsWith(INGEST_PREFIX)) {
      const token = url.slice(INGEST_PREFIX.length).split(/[?#]/, 1)[0] ?? '';
      return ingest(req, res, decodeURIComponentSafe(token));
    }
    if (url === '/trpc' || url.startsWith('/trpc/')) return trpc(req, res);
    if (url === '/healthz') {
      const ready = opts.isReady?.() ?? true;
      return sendJson(res, ready ? 200 : 503, { status: ready ? 'ok' : 'starting' });
    }
    if (url === '/readyz') {
      const report = await readiness.report();
      const starting = !(opts.isReady?.() ?? true);
      const status = starting ? 'starting' : report.status;
      return sendJson(res, status === 'ready' || status === 'degraded' ? 200 : 503, { ...report, status });
    }
    const pathname = url.split(/[?#]/, 1)[0] ?? '/';
    if (pathname === '/metrics') return metricsHandler(req, res);
    if (pathname === '/api/ui-config' && (req.method === 'GET' || req.method === 'HEAD')) {
      return sendJson(res, 200, uiConfigBody);
    }
    if (pathname.startsWith(DOWNLOAD_PREFIX)) return download(req, res);
    if (pathname.startsWith(EXPORT_DOWNLOAD_PREFIX)) return exportDownload(req, res);
    if (pathname.startsWith(AUTH_PREFIX)) return auth(req, res);
    if (pathname === KEYS_PATH) return keys(req, res); // evidence: public signing keys
    // Everything else that is not an API path is the admin UI (static files, SPA fallback).
    if (!isApiPath(pathname) && (await web(req, res))) return;
    sendError(res, new HttpError('not_found', 'no such route'));
  }

  return server;
}

/** Paths the UI's SPA fallback must never answer: they get the JSON 404 instead. */
function isApiPath(pathname: string): boolean {
  return /^\/(api|trpc|webhooks|healthz|readyz|metrics|auth)(\/|$)/.test(pathname);
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
}
