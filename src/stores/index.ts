/**
 * Session stores: where conversations are kept between turns, with a per-conversation lock
 * (lease + fencing token) and a `sequenceId` counter. See docs/scale-out.md.
 */
export type {
  AcquireOptions,
  Lease,
  SessionRecordInput,
  SessionStore,
  StoredSession,
} from './types.js';
export { LeaseLostError, LockTimeoutError, StoreError } from './errors.js';
export { MemoryStore, type MemoryStoreOptions } from './memory.js';
export { RedisStore, type RedisStoreOptions } from './redis.js';
