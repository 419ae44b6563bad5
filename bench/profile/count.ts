/**
 * What one turn does inside XState, counted with the inspection API: microsteps, actions by type
 * (assigns, emits, ...), snapshots, events and actors created, per sync turn of a started session
 * whose actors resolve at once, and the bytes allocated per turn (heap growth with no garbage
 * collection in between: run with a young generation large enough, as below).
 * `node --min-semi-space-size=64 --max-semi-space-size=64 --import tsx bench/profile/count.ts [turns]`.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { createActor, fromPromise, type InspectionEvent } from 'xstate';
import type {
  AuthorizeInput,
  AuthorizeOutput,
  SendMessageInput,
  SendMessageOutput,
  StartSessionInput,
  StartSessionOutput,
} from '../../machines/session.types.js';
import { AgentforceClient } from '../../src/index.js';
import { AgentSession } from '../../src/session.js';
import { AGENT_ID } from '../lib/wire.js';

const turns = Number(process.argv[2] ?? 200);
const client = new AgentforceClient({ myDomainUrl: 'http://127.0.0.1:9', auth: 'token' });
const machine = client.machine.provide({
  actors: {
    authorize: fromPromise<AuthorizeOutput, AuthorizeInput>(() =>
      Promise.resolve({ expiresAt: null }),
    ),
    startSession: fromPromise<StartSessionOutput, StartSessionInput>(() =>
      Promise.resolve({ sessionId: 's1', messages: [] }),
    ),
    sendMessage: fromPromise<SendMessageOutput, SendMessageInput>(({ input }) =>
      Promise.resolve({ sessionId: input.sessionId, sequenceId: input.sequenceId, messages: [] }),
    ),
  },
});

const counts = new Map<string, number>();
let counting = false;
const count = (key: string) => counting && counts.set(key, (counts.get(key) ?? 0) + 1);
const inspect = (ev: InspectionEvent) => {
  if (ev.type === '@xstate.action') count(`action ${ev.action.type}`);
  else if (ev.type === '@xstate.event') count(`event ${ev.event.type}`);
  else count(ev.type);
};
const actor = createActor(machine, { input: { agentId: AGENT_ID, endpoint: 'http://x' }, inspect });
const session = new AgentSession(actor, 100_000);
actor.start();
await session.start();
await session.send('hello');
counting = true;
for (let i = 0; i < turns; i++) await session.send('hello');
counting = false;
for (const [key, value] of [...counts].sort())
  console.log(`${(value / turns).toFixed(2).padStart(6)}  ${key}`);

// Allocation per turn, without the inspector.
const plain = new AgentSession(
  createActor(machine, { input: { agentId: AGENT_ID, endpoint: 'http://x' } }),
  100_000,
);
plain.actor.start();
await plain.start();
for (let i = 0; i < 2000; i++) await plain.send('hello');
let gcs = 0;
const gcObserver = new PerformanceObserver((list) => (gcs += list.getEntries().length));
gcObserver.observe({ entryTypes: ['gc'] });
const samples: number[] = [];
for (let r = 0; r < 5; r++) {
  gcs = 0;
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < turns; i++) await plain.send('hello');
  const grown = process.memoryUsage().heapUsed - before;
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (gcs === 0) samples.push(grown / turns);
}
gcObserver.disconnect();
samples.sort((a, b) => a - b);
console.log(
  samples.length === 0
    ? 'allocation: a GC ran in every round; use a larger --max-semi-space-size or fewer turns'
    : `${Math.round(samples[samples.length >> 1]!)} bytes allocated per turn (median of ${samples.length} rounds)`,
);
