/** The emulator the manager suites talk to. */
import { startFakeAgentApi, type FakeAgentApi } from '../../src/fake-server/index.js';

/**
 * The emulator on loopback, taking any agent id and these client credentials, and strict about
 * sequence ids: a repeated or lower one is refused, so a message sent twice by two nodes shows.
 */
export function startStrictEmulator(credentials: {
  clientId: string;
  clientSecret: string;
}): Promise<FakeAgentApi> {
  return startFakeAgentApi({ anyAgentId: true, ...credentials, strictSequence: true });
}
