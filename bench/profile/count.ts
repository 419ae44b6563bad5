/**
 * What one turn does inside XState, counted with the inspection API: microsteps, actions by type
 * (assigns, emits, ...), snapshots, events and actors created, per sync turn of a started session
 * whose actors resolve at once, and the bytes allocated per turn (heap growth with no garbage
 * collection in between: run with a young generation large enough, as below).
 * `node --min-semi-space-size=64 --max-semi-space-size=64 --import tsx bench/profile/count.ts [turns]`.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { createActor, type InspectionEvent } from 'xstate';
import { AgentSession } from '../../src/session.js';
import { INSTANT_INPUT, instantMachine } from './instant-machine.js';

const turns = Number(process.argv[2] ?? 200);
const machine = instantMachine();

const counts = new Map<string, number>();
let counting = false;
const count = (key: string) => counting && counts.set(key, (counts.get(key) ?? 0) + 1);
const inspect = (ev: InspectionEvent) => {
  if (ev.type === '@xstate.action') count(`action ${ev.action.type}`);
  else if (ev.type === '@xstate.event') count(`event ${ev.event.type}`);
  else count(ev.type);
};
const actor = createActor(machine, { input: INSTANT_INPUT, inspect });
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
const plain = new AgentSession(createActor(machine, { input: INSTANT_INPUT }), 100_000);
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
