/**
 * A focused script to profile streamed turns with long replies:
 * `node --cpu-prof --import tsx bench/profile/stream.ts <bench emulator url> [turns] [burst]`.
 */
import { AGENT_ID, TEXT, libraryClient } from '../lib/wire.js';

const url = process.argv[2];
if (!url) throw new Error('usage: profile/stream.ts <bench emulator url> [turns] [burst]');
const turns = Number(process.argv[3] ?? 50);
const burst = Number(process.argv[4] ?? 100);
const client = libraryClient(url);
const session = client.session({ agentId: AGENT_ID });
await session.start();
let events = 0;
const run = async () => {
  for await (const _ of session.stream(`burst ${burst} ${TEXT}`)) events++;
};
for (let i = 0; i < 5; i++) await run();
events = 0;
const cpu = process.cpuUsage();
const start = process.hrtime.bigint();
for (let i = 0; i < turns; i++) await run();
const us = Number(process.hrtime.bigint() - start) / 1000;
const c = process.cpuUsage(cpu);
console.log(
  `${events} events: ${((events / us) * 1e6).toFixed(0)} events/s, ${((c.user + c.system) / events).toFixed(1)} µs CPU per event`,
);
await session.end();
client.close();
