/**
 * A focused script to profile sequential library turns:
 * `node --cpu-prof --import tsx bench/profile/turn.ts <emulator url> [turns] [raw]`.
 * With `raw`, the same POSTs go through axios configured as the library does, for comparison.
 */
import { joinUrl } from '../../src/api/index.js';
import {
  AGENT_ID,
  TEXT,
  apiHeaders,
  apiPaths,
  axiosSend,
  endpointOf,
  libraryClient,
  sendBody,
  startRawSession,
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
  const ax = tunedAxios();
  const sessionId = await startRawSession(ep, ax);
  const target = joinUrl(ep.apiBase, apiPaths.messages(sessionId));
  const headers = apiHeaders(ep);
  let seq = 0;
  turn = () => axiosSend(ax, target, headers, sendBody(++seq));
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
