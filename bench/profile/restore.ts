/**
 * CPU per `client.restore()` of an idle session's snapshot (JSON-parsed each time), and where it
 * goes: `node [--cpu-prof] --import tsx bench/profile/restore.ts <url> [count]`.
 */
import { prepareRestore } from '../../src/snapshot.js';
import { AGENT_ID, libraryClient } from '../lib/wire.js';

const url = process.argv[2];
if (!url) throw new Error('usage: profile/restore.ts <url> [count]');
const count = Number(process.argv[3] ?? 20_000);
const client = libraryClient(url);
const template = client.session({ agentId: AGENT_ID });
await template.start();
const persisted = JSON.stringify(template.snapshot());
const cpu = (fn: () => void) => {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) fn();
  const d = process.cpuUsage(start);
  return ((d.user + d.system) / count).toFixed(1);
};
const keep: unknown[] = [];
console.log(`JSON.parse: ${cpu(() => keep.push(JSON.parse(persisted)))} µs`);
keep.length = 0;
console.log(`prepareRestore: ${cpu(() => keep.push(prepareRestore(JSON.parse(persisted))))} µs`);
keep.length = 0;
console.log(`client.restore: ${cpu(() => keep.push(client.restore(JSON.parse(persisted))))} µs`);
client.close();
process.exit(0);
