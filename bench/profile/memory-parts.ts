/**
 * Where the heap of an idle session goes: the parsed snapshot, the started actor, its listeners,
 * the `AgentSession`, and `client.restore()` whole. `node --expose-gc --import tsx
 * bench/profile/memory-parts.ts <emulator url>`; bytes per session over 20,000.
 */
import { createActor } from 'xstate';
import { AgentSession } from '../../src/session.js';
import { prepareRestore } from '../../src/snapshot.js';
import { AGENT_ID, libraryClient } from '../lib/wire.js';

const url = process.argv[2];
if (!url) throw new Error('usage: profile/memory-parts.ts <emulator url>');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const client = libraryClient(url);
const template = client.session({ agentId: AGENT_ID });
await template.start();
const persisted = JSON.stringify(template.snapshot());
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const N = 20_000;
const keep: unknown[] = [];
const measure = (name: string, make: () => unknown) => {
  keep.length = 0;
  const before = heap();
  for (let i = 0; i < N; i++) keep.push(make());
  const after = heap();
  console.log(`${name.padEnd(40)} ${Math.round((after - before) / N)} bytes`);
};
const snapshot = () => prepareRestore(JSON.parse(persisted)) as never;
const restored = () => createActor(client.machine, { snapshot: snapshot(), input: {} as never });
measure('parsed persisted snapshot only', () => snapshot());
measure('actor (restored, started)', () => restored().start());
measure('actor + on(*) + subscribe(error)', () => {
  const a = restored();
  a.on('*', () => undefined);
  a.subscribe({ error: () => undefined });
  return a.start();
});
measure('AgentSession (actor started)', () => {
  const a = restored();
  const s = new AgentSession(a, 100_000);
  a.start();
  return s;
});
measure('client.restore()', () => client.restore(JSON.parse(persisted)));
client.close();
process.exit(0);
