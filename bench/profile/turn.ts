/**
 * A focused script to profile sequential library turns:
 * `node --cpu-prof --import tsx bench/profile/turn.ts <emulator url> [turns] [raw]`.
 * With `raw`, the same POSTs go through axios configured as the library does, for comparison.
 */
import {
  AGENT_ID,
  TEXT,
  endpointOf,
  libraryClient,
  rawAxiosTurns,
  tunedAxios,
} from '../lib/wire.js';

const url = process.argv[2];
if (!url) throw new Error('usage: profile/turn.ts <emulator url> [turns] [raw]');
const turns = Number(process.argv[3] ?? 5000);
const raw = process.argv[4] === 'raw';

let turn: () => Promise<unknown>;
let close = () => {};
if (raw) {
  const ep = await endpointOf(url);
  turn = await rawAxiosTurns(ep, tunedAxios());
} else {
  const client = libraryClient(url);
  const session = client.session({ agentId: AGENT_ID });
  await session.start();
  turn = () => session.send(TEXT);
  close = () => client.close();
}
for (let i = 0; i < 500; i++) await turn();
const cpu = process.cpuUsage();
const start = process.hrtime.bigint();
for (let i = 0; i < turns; i++) await turn();
const wall = Number(process.hrtime.bigint() - start) / 1000 / turns;
const c = process.cpuUsage(cpu);
console.log(
  `${raw ? 'raw axios' : 'library'}: ${wall.toFixed(0)} µs/turn wall, ${((c.user + c.system) / turns).toFixed(0)} µs/turn CPU`,
);
close();
