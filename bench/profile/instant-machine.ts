/**
 * The client's session machine with actors that resolve at once (no HTTP), for the profiles of
 * the machine alone: `alloc.ts`, `count.ts`, `machine.ts`.
 */
import { fromPromise } from 'xstate';
import type {
  AuthorizeInput,
  AuthorizeOutput,
  SendMessageInput,
  SendMessageOutput,
  StartSessionInput,
  StartSessionOutput,
} from '../../machines/session.types.js';
import { AgentforceClient } from '../../src/index.js';
import { AGENT_ID } from '../lib/wire.js';

/** The input of a session of {@link instantMachine}. */
export const INSTANT_INPUT = { agentId: AGENT_ID, endpoint: 'http://x' };

/** The session machine whose every message is answered at once with `messages`. */
export function instantMachine(messages: SendMessageOutput['messages'] = []) {
  const client = new AgentforceClient({ myDomainUrl: 'http://127.0.0.1:9', auth: 'token' });
  return client.machine.provide({
    actors: {
      authorize: fromPromise<AuthorizeOutput, AuthorizeInput>(() =>
        Promise.resolve({ expiresAt: null }),
      ),
      startSession: fromPromise<StartSessionOutput, StartSessionInput>(() =>
        Promise.resolve({ sessionId: 's1', messages: [] }),
      ),
      sendMessage: fromPromise<SendMessageOutput, SendMessageInput>(({ input }) =>
        Promise.resolve({ sessionId: input.sessionId, sequenceId: input.sequenceId, messages }),
      ),
    },
  });
}
