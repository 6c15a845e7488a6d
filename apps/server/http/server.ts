// One HTTP server: producer ingest, the tRPC admin API, health, and (later) the admin UI.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { ServerDeps } from '../deps';
import { createIngestHandler, INGEST_PREFIX } from '../ingest/handler';
import { createHttpContextFactory } from '../trpc/context';
import { appRouter } from '../trpc/root';
import { HttpError, sendError, sendJson } from './respond';

export interface HttpServerOptions {
  /** Reports whether every dependency is ready; /healthz answers 503 until it does. */
  isReady?: () => boolean;
}

export function createHttpServer(deps: ServerDeps, opts: HttpServerOptions = {}): Server {
  const ingest = createIngestHandler(deps);
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    createContext: createHttpContextFactory(deps),
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR')
        deps.log.error({ err: error.cause ?? error, path }, 'trpc error');
    },
  });

  const server = createServer({ requestTimeout: 120_000, headersTimeout: 30_000 }, (req, res) => {
    route(req, res).catch((err) => {
      deps.log.error({ err }, 'unhandled request error');
      sendError(res, new HttpError(500, 'internal_error', 'internal error'));
    });
  });
  // Keep-alive beyond typical load-balancer idle timeouts avoids connection churn under load.
  server.keepAliveTimeout = 65_000;

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
    sendError(res, new HttpError(404, 'not_found', 'no such route'));
  }

  return server;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
}
