// What the server's parts need from the outside world, built once at start-up and passed down
// (no module-level singletons, so tests build their own with real components).
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client';
import type { EvidenceDeps } from '../../ledger/deps';
import type { Config } from '../../lib/config';
import type { SecretBox } from '../../lib/crypto';
import type { Logger } from '../../lib/logger';
import type { WormStore } from '../../worm/store';
import type { ReceiptSigner } from './evidence/receipt';
import type { Backlog } from './ingest/backlog';
import type { RateLimiter } from './ingest/rate-limit';
import type { ReceiptWriter } from './ingest/receipt-writer';
import type { Relay } from './relay/relay';
import type { RequestLogWriter } from './request-log/writer';

export interface ServerDeps {
  config: Config;
  db: Db;
  secretBox: SecretBox;
  log: Logger;
  temporal: Client;
  worm: WormStore;
  rateLimiter: RateLimiter;
  /** Group-committed receipt inserts: the ack's one durable write. */
  receipts: ReceiptWriter;
  /** Starts the workflow of every receipt, crash-safely. */
  relay: Relay;
  backlog: Backlog;
  /** Where ingest answers are recorded (unset: not recorded, e.g. a bare test server). */
  requestLog?: RequestLogWriter;
  /** Receipt signing and the transparency log (ledger/). */
  evidence: EvidenceDeps;
  /** Signs the ack's receipt (on a worker thread by default). */
  receiptSigner: ReceiptSigner;
}
