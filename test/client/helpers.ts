/** A client wired to an emulator on loopback, for story-style tests over real HTTP. */
import { afterEach } from 'vitest';
import {
  AgentforceClient,
  clientCredentials,
  type AgentSession,
  type ClientOptions,
} from '../../src/index.js';
import {
  startFakeAgentApi,
  type FakeAgentApi,
  type FakeAgentApiOptions,
} from '../../src/fake-server/index.js';

export const AGENT_ID = '0XxTEST00000001AAA';
export const CLIENT_ID = 'test-client';
export const CLIENT_SECRET = 'test-secret-value';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export interface Harness {
  api: FakeAgentApi;
  client: AgentforceClient;
  session: AgentSession;
  /** Top-level states the session went through, in order (from its `state` events). */
  states: string[];
}

export async function harness(
  options: {
    emulator?: FakeAgentApiOptions;
    client?: Partial<ClientOptions>;
    session?: Record<string, unknown>;
  } = {},
): Promise<Harness> {
  const api = await startFakeAgentApi({
    anyAgentId: true,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    ...options.emulator,
  });
  const client = new AgentforceClient({
    myDomainUrl: api.url,
    auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    retry: { baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 50 },
    ...options.client,
  });
  cleanups.push(
    () => api.close(),
    () => client.close(),
  );
  const session = client.session({ agentId: AGENT_ID, ...options.session });
  const states: string[] = [];
  session.on('state', (e) => states.push(e.state));
  return { api, client, session, states };
}

/** Routes and statuses the emulator answered, in order (e.g. `send 200`). */
export function traffic(api: FakeAgentApi): string[] {
  return api.requests.map((r) => `${r.route} ${r.status}`);
}
