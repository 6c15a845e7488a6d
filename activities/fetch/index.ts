export {
  FetchError,
  FetchPermanentError,
  type FetchPermanentReason,
  FetchRetryableError,
  type FetchRetryableReason,
  parseRetryAfter,
} from './errors';
export {
  DEFAULT_FETCH_TIMEOUTS,
  type FetchProvenance,
  type FetchTimeouts,
  type FetchToWormOptions,
  type FetchToWormResult,
  fetchToWorm,
  MAX_REDIRECTS,
} from './fetch-to-worm';
export { classifyAddress, type FetchPolicy, isAllowedHost, type LookupFn, parseFetchUrl } from './ssrf';
