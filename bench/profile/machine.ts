/**
 * The client's session machine alone, no HTTP: its actors resolve at once. Prints client CPU per
 * turn through `AgentSession.send()` and through bare `actor.send()`, three rounds.
 * `node [--cpu-prof] --import tsx bench/profile/machine.ts [turns]`.
 */
import { createActor } from 'xstate';
import { AgentSession } from '../../src/session.js';
import { INSTANT_INPUT, instantMachine } from './instant-machine.js';

const turns = Number(process.argv[2] ?? 10000);
const reply = [
  {
    id: 'm1',
    type: 'Inform' as const,
    message: 'You said: "hello". This is the answer.',
    isContentSafe: true,
    feedbackId: 'f',
    planId: 'p',
    result: [],
    citedReferences: [],
  },
];

const machine = instantMachine(reply);

function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

async function viaSession(): Promise<number> {
  const actor = createActor(machine, { input: INSTANT_INPUT });
  const session = new AgentSession(actor, 100_000);
  actor.start();
  await session.start();
  for (let i = 0; i < 2000; i++) await session.send('hello');
  const cpu = process.cpuUsage();
  for (let i = 0; i < turns; i++) await session.send('hello');
  return cpuSince(cpu) / turns;
}

async function viaActor(): Promise<number> {
  const actor = createActor(machine, { input: INSTANT_INPUT });
  actor.start();
  actor.send({ type: 'START' });
  await new Promise((r) => setTimeout(r, 10));
  let done: () => void = () => undefined;
  actor.on('turn.completed', () => done());
  const turn = (i: number) =>
    new Promise<void>((resolve) => {
      done = resolve;
      actor.send({ type: 'SEND', turnId: `t${i}`, text: 'hello' });
    });
  for (let i = 0; i < 2000; i++) await turn(i);
  const cpu = process.cpuUsage();
  for (let i = 0; i < turns; i++) await turn(i);
  return cpuSince(cpu) / turns;
}

for (let r = 0; r < 3; r++) {
  const s = await viaSession();
  const a = await viaActor();
  console.log(`session.send ${s.toFixed(1)} µs CPU/turn, actor.send ${a.toFixed(1)} µs CPU/turn`);
}
