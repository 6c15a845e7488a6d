import type { Db } from '../db/client';
import type { Logger } from '../lib/logger';
import type { FetchPolicy } from './fetch';
import type { WormStore } from './worm/store';

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
