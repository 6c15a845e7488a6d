import type { Db } from '../db/client';
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
}
