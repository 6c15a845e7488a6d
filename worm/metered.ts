// Times every WORM put for /metrics without touching either store: a wrapper applied where the
// store is opened (apps/runtime.ts).
import { metrics } from '../lib/metrics';
import type { WormStore } from './store';

export function withWormMetrics(store: WormStore): WormStore {
  const put: WormStore['put'] = async (key, body, opts) => {
    const t = performance.now();
    try {
      const result = await store.put(key, body, opts);
      metrics.wormPut(store.kind, result.created ? 'created' : 'existing', t);
      return result;
    } catch (err) {
      metrics.wormPut(store.kind, 'error', t);
      throw err;
    }
  };
  return {
    kind: store.kind,
    put,
    get: (key) => store.get(key),
    head: (key) => store.head(key),
    extendRetention: (key, until) => store.extendRetention(key, until),
    delete: (key) => store.delete(key),
    setLegalHold: (key, on) => store.setLegalHold(key, on),
    list: (prefix) => store.list(prefix),
  };
}
