export { ModelCache, defaultCacheOptions, resolveUrl, type CacheFetchOptions } from './cache.js';
export type { CacheEntryInfo, CacheOptions, CachePolicy, CacheUsage } from './types.js';
export { parseIntegrity, sriOf } from './sri.js';
