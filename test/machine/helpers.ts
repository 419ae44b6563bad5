/** Stub actors for testing the session machine alone: each request waits for the test to settle it. */
import { createActor, fromCallback, fromPromise, type Actor } from 'xstate';
import { sessionMachine } from '../../machines/session.machine.js';
import type {
  SessionEmitted,
  SessionEvent,
  SessionInput,
  StreamMessageInput,
} from '../../machines/session.types.js';
import { AgentforceError } from '../../src/errors.js';
import { transitionKey } from '../model/model.js';

/** Every transition a stubbed session of this test file took (keys as in the model suite). */
export const takenTransitions = new Set<string>();

export interface Pending {
  actor: string;
  input: unknown;
  resolve: (output: unknown) => void;
  reject: (error: unknown) => void;
  aborted: boolean;
}

/** A streamed request in flight: the test sends its events back as the stream actor would. */
export interface PendingStream {
  input: StreamMessageInput;
  sendBack: (event: SessionEvent) => void;
  aborted: boolean;
}

export interface StubOptions {
  /** The stream actor throws when it starts (the HTTP one never does; see the model's UNREACHABLE). */
  streamThrows?: boolean;
  /** Keep the machine's own `newExternalSessionKey` (a random UUID) instead of none. */
  sessionKeys?: boolean;
}

export function stubbedSession(input: Partial<SessionInput> = {}, options: StubOptions = {}) {
  const pending: Pending[] = [];
  const streams: PendingStream[] = [];
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
      streamMessage: fromCallback<SessionEvent, StreamMessageInput>(({ input, sendBack }) => {
        if (options.streamThrows) throw new Error('the stream actor failed');
        const s: PendingStream = { input, sendBack, aborted: false };
        streams.push(s);
        return () => (s.aborted = true);
      }),
    },
    actions: options.sessionKeys ? {} : { newExternalSessionKey: () => undefined },
  });
  const actor: Actor<typeof machine> = createActor(machine, {
    input: {
      agentId: '0Xx000000000001AAA',
      endpoint: 'https://example.my.salesforce.com',
      ...input,
    },
    inspect: (ev) => {
      if (ev.type === '@xstate.microstep' && ev.actorRef === actor) {
        for (const t of ev._transitions) takenTransitions.add(transitionKey(t));
      }
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
  return { actor, pending, streams, emitted, states, settle };
}

export const inform = (text: string) => ({
  type: 'Inform',
  id: `m-${text}`,
  message: text,
  isContentSafe: true,
  feedbackId: 'f',
});

export const apiError = (code: AgentforceError['code'], status?: number) =>
  new AgentforceError(`${code} happened`, { code, status });
