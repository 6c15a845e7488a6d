// What the server's parts need from the outside world, built once at start-up and passed down
// (no module-level singletons, so tests build their own with real components).
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client';
import type { EvidenceDeps } from '../../ledger/deps';
import type { Config } from '../../lib/config';
import type { SecretBox } from '../../lib/crypto';
import type { Logger } from '../../lib/logger';
import type { WormStore } from '../../worm/store';
import type { RateLimiter } from './ingest/rate-limit';

export interface ServerDeps {
  config: Config;
  db: Db;
  secretBox: SecretBox;
  log: Logger;
  temporal: Client;
  worm: WormStore;
  rateLimiter: RateLimiter;
  /** Receipt signing and the transparency log (ledger/). */
  evidence: EvidenceDeps;
}
