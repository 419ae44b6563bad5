/**
 * `agentforce-session/redis`: the Redis session store, for many nodes (kept out of the main entry
 * so that only the apps that use Redis load a Redis client). It needs `ioredis`, an optional peer
 * dependency: `npm install ioredis`.
 */
export { RedisStore, type RedisStoreOptions } from './stores/redis.js';
export { MissingDependencyError } from './optional-dependency.js';
