// The key that seals endpoint secrets at rest. MASTER_KEY wins; otherwise (embedded mode) one
// is generated once into DATA_DIR/master-key, readable by the owner only.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config';
import { randomToken } from './crypto';

export function resolveMasterKey(config: Pick<Config, 'MASTER_KEY' | 'DATA_DIR'>): string {
  if (config.MASTER_KEY) return config.MASTER_KEY;
  const file = path.join(config.DATA_DIR, 'master-key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (!/^[A-Za-z0-9_-]{43}$/.test(key)) throw new Error(`${file} does not hold a 32-byte base64url key`);
    return key;
  }
  mkdirSync(config.DATA_DIR, { recursive: true });
  const key = randomToken(32);
  // 'wx': never overwrite a key another process wrote first; that would orphan every secret.
  try {
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return resolveMasterKey(config);
    throw err;
  }
  chmodSync(file, 0o600);
  return key;
}
