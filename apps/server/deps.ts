// What the server's parts need from the outside world, built once at start-up and passed down
// (no module-level singletons, so tests build their own with real components).
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client';
import type { Config } from '../../lib/config';
import type { SecretBox } from '../../lib/crypto';
import type { Logger } from '../../lib/logger';
import type { WormStore } from '../../worm/store';
import type { RateLimiter } from './ingest/rate-limit';
import type { RequestLogWriter } from './request-log/writer';

export interface ServerDeps {
  config: Config;
  db: Db;
  secretBox: SecretBox;
  log: Logger;
  temporal: Client;
  worm: WormStore;
  rateLimiter: RateLimiter;
  /** Where ingest answers are recorded (unset: not recorded, e.g. a bare test server). */
  requestLog?: RequestLogWriter;
}
