/**
 * Where a turn's allocations come from: V8's sampling heap profiler (collected objects included)
 * over sequential turns of the machine alone (actors resolve at once), summed by function.
 * `node --import tsx bench/profile/alloc.ts [turns] [top]`.
 */
import { Session } from 'node:inspector/promises';
import { createActor } from 'xstate';
import { AgentSession } from '../../src/session.js';
import { INSTANT_INPUT, instantMachine } from './instant-machine.js';

const turns = Number(process.argv[2] ?? 20000);
const top = Number(process.argv[3] ?? 30);
const machine = instantMachine();
const session = new AgentSession(createActor(machine, { input: INSTANT_INPUT }), 100_000);
session.actor.start();
await session.start();
for (let i = 0; i < 2000; i++) await session.send('hello');

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: Node[];
}
const inspector = new Session();
inspector.connect();
await inspector.post('HeapProfiler.startSampling', {
  samplingInterval: 256,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
for (let i = 0; i < turns; i++) await session.send('hello');
const { profile } = (await inspector.post('HeapProfiler.stopSampling')) as {
  profile: { head: Node };
};
const byFn = new Map<string, number>();
let total = 0;
const walk = (n: Node) => {
  const file = n.callFrame.url
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/(src|machines)\//, '$1/');
  const key = `${n.callFrame.functionName || '(anon)'} ${file}:${n.callFrame.lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + n.selfSize);
  total += n.selfSize;
  for (const c of n.children) walk(c);
};
walk(profile.head);
console.log(`${Math.round(total / turns)} bytes sampled per turn`);
for (const [key, size] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${String(Math.round(size / turns)).padStart(7)} B  ${key}`);
inspector.disconnect();
