/**
 * What an idle session holds, by kind of object: restores `count` sessions (and, with `turn`, has
 * each answer one message), and diffs two V8 heap snapshots (before and after, with a warm-up of
 * the same kind first) by object kind and constructor: bytes and objects per session.
 * `node --expose-gc --import tsx bench/profile/heap-classes.ts <url> restore|turn [count]`.
 */
import { writeHeapSnapshot } from 'node:v8';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pool } from '../lib/pool.js';
import { AGENT_ID, TEXT, libraryClient } from '../lib/wire.js';
import type { AgentSession } from '../../src/index.js';

const [url, mode = 'restore', n = '2000'] = process.argv.slice(2);
if (!url) throw new Error('usage: profile/heap-classes.ts <url> restore|turn [count]');
const count = Number(n);
const client = libraryClient(url);
const template = client.session({ agentId: AGENT_ID });
await template.start();
await template.send(TEXT);
const persisted = JSON.stringify(template.snapshot());
const keep: AgentSession[] = [];
const make = (k: number) =>
  pool(k, mode === 'turn' ? 1 : 64, async (i) => {
    const s = client.restore(JSON.parse(persisted));
    if (mode === 'turn') await s.send(TEXT);
    keep[i] = s;
  });

type Sums = Map<string, { n: number; bytes: number }>;
interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}
function sums(): Sums {
  const file = writeHeapSnapshot(join(tmpdir(), `heap-classes-${process.pid}.heapsnapshot`));
  const snap = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
  rmSync(file);
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [fType, fName, fSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const out: Sums = new Map();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + fType!]!]!;
    const named = !type.includes('string') && type !== 'number';
    const key = `${type} ${named ? snap.strings[snap.nodes[i + fName!]!]!.slice(0, 50) : ''}`;
    const s = out.get(key) ?? { n: 0, bytes: 0 };
    s.n++;
    s.bytes += snap.nodes[i + fSize!]!;
    out.set(key, s);
  }
  return out;
}

await make(count);
keep.length = 0;
await new Promise((r) => setTimeout(r, 300));
const before = sums();
// The heap snapshot blocks the loop for seconds: let the sockets the server closed meanwhile go.
await new Promise((r) => setTimeout(r, 500));
await make(count);
await new Promise((r) => setTimeout(r, 300));
const after = sums();
let total = 0;
const rows: Array<[string, number, number]> = [];
for (const [k, s] of after) {
  const b = before.get(k) ?? { n: 0, bytes: 0 };
  total += s.bytes - b.bytes;
  rows.push([k, (s.bytes - b.bytes) / count, (s.n - b.n) / count]);
}
rows.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
console.log(`${(total / count).toFixed(0)} B per session in all`);
for (const [k, bytes, objects] of rows.filter((r) => Math.abs(r[1]) >= 4))
  console.log(`${bytes.toFixed(0).padStart(6)} B ${objects.toFixed(2).padStart(6)} objects  ${k}`);
if (keep.length !== count) throw new Error('lost sessions');
client.close();
process.exit(0);
