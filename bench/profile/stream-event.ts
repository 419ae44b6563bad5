/**
 * What one streamed event costs in the session machine: a session whose stream actor is a stub
 * in `active.streaming`, fed `STREAM.EVENT`s by hand (each a macrostep: the ordering guard, the
 * `turn.stream` emit, a new snapshot) up to the caller's listener, against the same events
 * handed to the same listener directly. CPU µs and bytes allocated per event.
 * `node --min-semi-space-size=64 --max-semi-space-size=64 --import tsx bench/profile/stream-event.ts [events]`.
 */
import { createActor, fromCallback, fromPromise } from 'xstate';
import type {
  AuthorizeInput,
  AuthorizeOutput,
  SessionEvent,
  StartSessionInput,
  StartSessionOutput,
  StreamEvent,
  StreamMessageInput,
} from '../../machines/session.types.js';
import { AgentforceClient } from '../../src/index.js';
import { AgentSession } from '../../src/session.js';
import { AGENT_ID } from '../lib/wire.js';

const count = Number(process.argv[2] ?? 20000);
const client = new AgentforceClient({ myDomainUrl: 'http://127.0.0.1:9', auth: 'token' });
let input: StreamMessageInput | undefined;
const machine = client.machine.provide({
  actors: {
    authorize: fromPromise<AuthorizeOutput, AuthorizeInput>(() =>
      Promise.resolve({ expiresAt: null }),
    ),
    startSession: fromPromise<StartSessionOutput, StartSessionInput>(() =>
      Promise.resolve({ sessionId: 's1', messages: [] }),
    ),
    streamMessage: fromCallback<SessionEvent, StreamMessageInput>(({ input: i }) => {
      input = i;
    }),
  },
});
const session = new AgentSession(
  createActor(machine, { input: { agentId: AGENT_ID, endpoint: 'http://x' } }),
  100_000,
);
session.actor.start();
await session.start();
const reply = session.stream('hello');
await new Promise((r) => setTimeout(r, 0));
if (!input) throw new Error('the stream actor did not start');
const { sessionId, sequenceId } = input;
let seen = 0;
const listener = (_: StreamEvent) => void seen++;
session.on('turn.stream', (e) => listener(e.event));
const delta: StreamEvent = { kind: 'delta', text: 'word ', offset: 0 };

function measure(label: string, feed: () => void): void {
  for (let i = 0; i < 2000; i++) feed();
  const heap = process.memoryUsage().heapUsed;
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) feed();
  const c = process.cpuUsage(cpu);
  const bytes = process.memoryUsage().heapUsed - heap;
  console.log(
    `${label}: ${((c.user + c.system) / count).toFixed(2)} µs CPU, ${Math.round(bytes / count)} B per event`,
  );
}
for (let r = 0; r < 3; r++) {
  measure('through the machine (STREAM.EVENT)', () =>
    session.actor.send({ type: 'STREAM.EVENT', sessionId, sequenceId, event: delta }),
  );
  measure('handed to the listener', () => listener(delta));
}
reply.cancel();
console.log(`${seen} events reached the listener`);
