import type { Db } from '../db/client';
import type { EvidenceDeps } from '../ledger/deps';
import type { Logger } from '../lib/logger';
import type { WormStore } from '../worm/store';
import type { FetchPolicy } from './fetch';

export interface AttachmentFetchSettings {
  policy: FetchPolicy;
  maxBytes: number;
}

export interface ActivityDeps {
  db: Db;
  worm: WormStore;
  log: Logger;
  fetch: AttachmentFetchSettings;
  /** Signing keyring and log settings (ledger/). */
  evidence: EvidenceDeps;
  /** Where export bundles are built and kept (EXPORT_DIR). */
  exportDir: string;
}
