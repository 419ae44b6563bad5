/**
 * This session machine against another version of it (e.g. the file of an earlier commit), in one
 * process: sequential turns through `AgentSession.send()` with actors that resolve at once, the
 * two machines in alternating rounds, CPU per turn and the paired ratio per round. Load on a
 * shared machine then hits both alike.
 * `node --import tsx bench/profile/machine-ab.ts <other session.machine.ts> [turns] [rounds]`.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createActor, fromPromise, type AnyStateMachine } from 'xstate';
import { sessionMachine } from '../../machines/session.machine.js';
import { AgentSession } from '../../src/session.js';
import { AGENT_ID } from '../lib/wire.js';

const other = process.argv[2];
if (!other) throw new Error('usage: machine-ab.ts <other session.machine.ts> [turns] [rounds]');
const turns = Number(process.argv[3] ?? 3000);
const rounds = Number(process.argv[4] ?? 10);
const { sessionMachine: otherMachine } = (await import(
  pathToFileURL(path.resolve(other)).href
)) as { sessionMachine: AnyStateMachine };

const actors = {
  authorize: fromPromise(() => Promise.resolve({ expiresAt: null })),
  startSession: fromPromise(() => Promise.resolve({ sessionId: 's1', messages: [] })),
  sendMessage: fromPromise(({ input }: { input: { sessionId: string; sequenceId: number } }) =>
    Promise.resolve({ sessionId: input.sessionId, sequenceId: input.sequenceId, messages: [] }),
  ),
};

async function session(machine: AnyStateMachine): Promise<AgentSession> {
  const actor = createActor(machine.provide({ actors }), {
    input: { agentId: AGENT_ID, endpoint: 'http://x' },
  });
  const s = new AgentSession(actor as never, 100_000);
  actor.start();
  await s.start();
  for (let i = 0; i < 2000; i++) await s.send('hello');
  return s;
}

const sides = { this: await session(sessionMachine), other: await session(otherMachine) };
const cpu: Record<string, number[]> = { this: [], other: [] };
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? (['this', 'other'] as const) : (['other', 'this'] as const);
  for (const side of order) {
    const start = process.cpuUsage();
    for (let i = 0; i < turns; i++) await sides[side].send('hello');
    const used = process.cpuUsage(start);
    cpu[side]!.push((used.user + used.system) / turns);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ratios = cpu['this']!.map((x, i) => x / cpu['other']![i]!);
console.log(
  `CPU per turn: this ${median(cpu['this']!).toFixed(1)} µs, other ${median(cpu['other']!).toFixed(1)} µs; ` +
    `ratio this/other ${median(ratios).toFixed(3)} (rounds: ${ratios.map((x) => x.toFixed(2)).join(' ')})`,
);
