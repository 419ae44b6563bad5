/**
 * One node of the session manager for a test: the emulator on loopback (strict about sequence
 * ids), a client with short retry delays and a manager on a store (a new MemoryStore unless one is
 * given). All of it is closed after the test.
 */
import { afterEach } from 'vitest';
import {
  AgentforceClient,
  MemoryStore,
  clientCredentials,
  type ManagerEvent,
  type SessionManagerOptions,
  type SessionStore,
} from '../../src/index.js';
import { startStrictEmulator } from './strict-emulator.js';
import { AGENT_ID, CLIENT_ID, CLIENT_SECRET } from '../client/helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The manager options a test may set. */
export type Tuning = Partial<Pick<SessionManagerOptions, 'maxLive' | 'leaseMs' | 'recordTtlMs'>>;

export async function oneNode(options: Tuning & { store?: SessionStore } = {}) {
  const api = await startStrictEmulator({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  const client = new AgentforceClient({
    myDomainUrl: api.url,
    auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    retry: { baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 50 },
  });
  const store = options.store ?? new MemoryStore();
  const manager = client.conversations({
    session: { agentId: AGENT_ID },
    store,
    maxLive: options.maxLive,
    leaseMs: options.leaseMs,
    recordTtlMs: options.recordTtlMs,
  });
  const events: ManagerEvent[] = [];
  manager.on((e) => events.push(e));
  cleanups.push(
    () => api.close(),
    () => client.close(),
  );
  return { api, client, store, manager, events };
}
