/** Stub actors for testing the session machine alone: each request waits for the test to settle it. */
import { createActor, fromPromise, type Actor } from 'xstate';
import { sessionMachine } from '../../machines/session.machine.js';
import type { SessionEmitted, SessionInput } from '../../machines/session.types.js';
import { AgentforceError } from '../../src/errors.js';

export interface Pending {
  actor: string;
  input: unknown;
  resolve: (output: unknown) => void;
  reject: (error: unknown) => void;
  aborted: boolean;
}

export function stubbedSession(input: Partial<SessionInput> = {}) {
  const pending: Pending[] = [];
  const stub = (actor: string) =>
    fromPromise<never, unknown>(
      ({ input: actorInput, signal }) =>
        new Promise<never>((resolve, reject) => {
          const p: Pending = {
            actor,
            input: actorInput,
            resolve: resolve as (o: unknown) => void,
            reject,
            aborted: false,
          };
          signal.addEventListener('abort', () => (p.aborted = true));
          pending.push(p);
        }),
    );
  const machine = sessionMachine.provide({
    actors: {
      authorize: stub('authorize') as never,
      startSession: stub('startSession') as never,
      sendMessage: stub('sendMessage') as never,
      endSession: stub('endSession') as never,
    },
    actions: {
      newExternalSessionKey: () => undefined,
    },
  });
  const actor: Actor<typeof machine> = createActor(machine, {
    input: {
      agentId: '0Xx000000000001AAA',
      endpoint: 'https://example.my.salesforce.com',
      ...input,
    },
  });
  const emitted: SessionEmitted[] = [];
  const states: string[] = [];
  actor.on('*', (e) => {
    emitted.push(e);
    if (e.type === 'state') states.push(e.state);
  });
  actor.subscribe({ error: () => undefined });
  actor.start();

  /** Settles the oldest pending request of `name` and lets promise callbacks run. */
  async function settle(name: string, how: { output?: unknown; error?: unknown }) {
    const i = pending.findIndex((p) => p.actor === name && !p.aborted);
    if (i < 0)
      throw new Error(`no pending ${name}; pending: ${pending.map((p) => p.actor).join(',')}`);
    const [p] = pending.splice(i, 1);
    if ('error' in how) p!.reject(how.error);
    else p!.resolve(how.output);
    await new Promise((r) => setTimeout(r, 0));
  }
  return { actor, pending, emitted, states, settle };
}

export const inform = (text: string) => ({
  type: 'Inform',
  id: `m-${text}`,
  message: text,
  isContentSafe: true,
  feedbackId: 'f',
});

export const apiError = (code: AgentforceError['code'], status?: number) =>
  new AgentforceError(code, `${code} happened`, { status });
