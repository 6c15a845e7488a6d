import type { Db } from '../db/client';
import type { Logger } from '../lib/logger';
import type { WormStore } from './worm/store';

export interface ActivityDeps {
  db: Db;
  worm: WormStore;
  log: Logger;
}
