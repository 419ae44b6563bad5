/**
 * Heap per idle session after it answered turns: sessions restored from a snapshot, then each sends
 * `turns` messages. `node --expose-gc --import tsx bench/profile/memory-turn.ts <url> [turns]`.
 */
import { pool } from '../lib/pool.js';
import { AGENT_ID, TEXT, libraryClient } from '../lib/wire.js';
import type { AgentSession } from '../../src/index.js';

const url = process.argv[2];
if (!url) throw new Error('usage: profile/memory-turn.ts <url> [turns]');
const turns = Number(process.argv[3] ?? 1);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const client = libraryClient(url);
const template = client.session({ agentId: AGENT_ID });
await template.start();
const persisted = JSON.stringify(template.snapshot());
const N = 2000;
const keep: AgentSession[] = [];
const make = async (i: number, t: number) => {
  const s = client.restore(JSON.parse(persisted));
  for (let k = 0; k < t; k++) await s.send(TEXT);
  keep[i] = s;
};
for (const t of [0, turns]) {
  keep.length = 0;
  await pool(200, 64, (i) => make(i, t));
  for (const s of keep) s.stop();
  keep.length = 0;
  const before = heap();
  await pool(N, 64, (i) => make(i, t));
  await new Promise((r) => setTimeout(r, 300));
  console.log(`${t} turns: ${Math.round((heap() - before) / N)} B per idle session`);
}
client.close();
process.exit(0);
