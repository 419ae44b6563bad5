/**
 * The org a CLI test file talks to: the CLI is built once, then each test gets a home directory of
 * its own and an emulator started with the file's client credentials, both gone after the test.
 */
import { afterEach, beforeAll, beforeEach } from 'vitest';
import {
  startFakeAgentApi,
  type FakeAgentApi,
  type FakeAgentApiOptions,
} from '../../src/fake-server/index.js';
import { cleanEnv, ensureBuilt, tempDir } from './helpers.js';

export interface EmulatorOrg {
  /** This test's emulator. */
  readonly api: FakeAgentApi;
  /** This test's home directory; the CLI's store is below it. */
  readonly home: string;
  /** A scrubbed environment with this org's URL, the client credentials and `SF_AGENT_ID`. */
  env(agentId: string, extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** How many requests the emulator got on `route` so far. */
  requestsTo(route: string): number;
}

/** Registers the hooks of the file's tests and returns the org of the test that runs. */
export function useEmulatorOrg(
  credentials: { clientId: string; clientSecret: string },
  options: Partial<FakeAgentApiOptions> = { anyAgentId: true },
): EmulatorOrg {
  let home: { dir: string; cleanup: () => void } | undefined;
  let api: FakeAgentApi | undefined;
  const current = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the org exists only while a test runs');
    return value;
  };

  beforeAll(() => ensureBuilt(), 180_000);
  beforeEach(async () => {
    home = tempDir();
    api = await startFakeAgentApi({ ...options, port: 0, ...credentials });
  });
  afterEach(async () => {
    await api?.close();
    home?.cleanup();
  });

  return {
    get api() {
      return current(api);
    },
    get home() {
      return current(home).dir;
    },
    env(agentId, extra = {}) {
      return cleanEnv(this.home, {
        SF_MY_DOMAIN_URL: this.api.url,
        SF_CLIENT_ID: credentials.clientId,
        SF_CLIENT_SECRET: credentials.clientSecret,
        SF_AGENT_ID: agentId,
        ...extra,
      });
    },
    requestsTo(route) {
      return this.api.requests.filter((r) => r.route === route).length;
    },
  };
}
