/**
 * Streamed turns through `session.stream()` against the bench emulator, counted: events per
 * second, client CPU per event, and the machine events and microsteps each turn takes (counted
 * with the inspection API, so they do not depend on the load). Long replies by default (`burst N`),
 * or the default agent's 7-event answer with `burst` 0. Also a script to profile with:
 * `node [--cpu-prof] --import tsx bench/profile/stream.ts <bench emulator url> [turns] [burst]`.
 */
import type { InspectionEvent } from 'xstate';
import { AGENT_ID, TEXT, libraryClient } from '../lib/wire.js';

const url = process.argv[2];
if (!url) throw new Error('usage: profile/stream.ts <bench emulator url> [turns] [burst]');
const turns = Number(process.argv[3] ?? 50);
const burst = Number(process.argv[4] ?? 100);
const counts = new Map<string, number>();
let counting = false;
const inspect = (ev: InspectionEvent) => {
  if (!counting) return;
  const key = ev.type === '@xstate.event' ? `event ${ev.event.type}` : ev.type;
  if (key === '@xstate.microstep' || key.startsWith('event STREAM.'))
    counts.set(key, (counts.get(key) ?? 0) + 1);
};
const text = burst > 0 ? `burst ${burst} ${TEXT}` : TEXT;

/** Runs streamed turns on a new session; events, µs and CPU µs after 5 warm-up turns. */
async function measure(n: number, withInspector: boolean) {
  const client = libraryClient(url!, withInspector ? { inspect } : {});
  const session = client.session({ agentId: AGENT_ID });
  await session.start();
  let events = 0;
  const run = async () => {
    for await (const _ of session.stream(text)) events++;
  };
  for (let i = 0; i < 5; i++) await run();
  events = 0;
  counting = withInspector;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await run();
  const us = Number(process.hrtime.bigint() - start) / 1000;
  const c = process.cpuUsage(cpu);
  counting = false;
  await session.end();
  client.close();
  return { events, us, cpuUs: c.user + c.system };
}

// The counts with the inspector; the time and CPU without it (it costs per inspection event).
await measure(Math.min(turns, 10), true);
const { events, us, cpuUs } = await measure(turns, false);
const counted = Math.min(turns, 10);
const perTurn = [...counts]
  .sort()
  .map(([k, v]) => `${(v / counted).toFixed(1)} ${k}`)
  .join(', ');
console.log(
  `${events / turns} events per turn: ${((events / us) * 1e6).toFixed(0)} events/s, ` +
    `${(cpuUs / events).toFixed(1)} µs CPU per event; per turn: ${perTurn}`,
);
