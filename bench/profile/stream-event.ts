/**
 * What one streamed event costs in the session machine: a session whose stream actor is a stub
 * in `active.streaming`, fed `STREAM.EVENT`s by hand, each carrying the events of one network read
 * (1, 7 or 50; each `STREAM.EVENT` is a macrostep: the ordering guard, a new snapshot, then one
 * `turn.stream` emit per event) up to the caller's listener, against the same events handed to the
 * same listener directly. CPU µs and bytes allocated per event.
 * `node --min-semi-space-size=64 --max-semi-space-size=64 --import tsx bench/profile/stream-event.ts [events per round] [rounds]`.
 * Medians over the rounds.
 */
import { createActor, fromCallback, fromPromise } from 'xstate';
import type {
  AuthorizeInput,
  AuthorizeOutput,
  SessionEvent,
  StartSessionInput,
  StartSessionOutput,
  StreamEvent,
  StreamMessageInput,
} from '../../machines/session.types.js';
import { AgentforceClient } from '../../src/index.js';
import { AgentSession } from '../../src/session.js';
import { AGENT_ID } from '../lib/wire.js';

const count = Number(process.argv[2] ?? 5000);
const rounds = Number(process.argv[3] ?? 9);
const client = new AgentforceClient({ myDomainUrl: 'http://127.0.0.1:9', auth: 'token' });
let input: StreamMessageInput | undefined;
const machine = client.machine.provide({
  actors: {
    authorize: fromPromise<AuthorizeOutput, AuthorizeInput>(() =>
      Promise.resolve({ expiresAt: null }),
    ),
    startSession: fromPromise<StartSessionOutput, StartSessionInput>(() =>
      Promise.resolve({ sessionId: 's1', messages: [] }),
    ),
    streamMessage: fromCallback<SessionEvent, StreamMessageInput>(({ input: i }) => {
      input = i;
    }),
  },
});
const session = new AgentSession(
  createActor(machine, { input: { agentId: AGENT_ID, endpoint: 'http://x' } }),
  100_000,
);
session.actor.start();
await session.start();
const reply = session.stream('hello');
await new Promise((r) => setTimeout(r, 0));
if (!input) throw new Error('the stream actor did not start');
const { sessionId, sequenceId } = input;
let seen = 0;
const listener = (_: StreamEvent) => void seen++;
session.on('turn.stream', (e) => listener(e.event));
const delta: StreamEvent = { kind: 'delta', text: 'word ', offset: 0 };

const iterator = reply[Symbol.asyncIterator]();
let buffered = 0;
const results = new Map<string, { cpu: number[]; bytes: number[] }>();
/** Feeds `perRead` events per call; CPU and bytes per event. */
async function measure(label: string, perRead: number, feed: () => void): Promise<void> {
  const calls = Math.ceil(count / perRead);
  const heap = process.memoryUsage().heapUsed;
  const cpu = process.cpuUsage();
  for (let i = 0; i < calls; i++) feed();
  const c = process.cpuUsage(cpu);
  const bytes = process.memoryUsage().heapUsed - heap;
  const events = calls * perRead;
  const r = results.get(label) ?? { cpu: [], bytes: [] };
  r.cpu.push((c.user + c.system) / events);
  r.bytes.push(bytes / events);
  results.set(label, r);
  // The stream's own iterator buffers what the machine emitted: read it, outside the clock.
  if (label.startsWith('through')) buffered += events;
  for (; buffered > 0; buffered--) await iterator.next();
}
const read = (n: number) => Array.from({ length: n }, () => delta);
for (let r = 0; r < rounds; r++) {
  for (const n of [1, 7, 50]) {
    const events = read(n);
    await measure(`through the machine, ${n} per read`, n, () =>
      session.actor.send({ type: 'STREAM.EVENT', sessionId, sequenceId, events }),
    );
  }
  await measure('handed to the listener', 1, () => listener(delta));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
for (const [label, r] of results) {
  console.log(
    `${label}: ${median(r.cpu).toFixed(2)} µs CPU (min ${Math.min(...r.cpu).toFixed(2)}), ${Math.round(median(r.bytes))} B per event`,
  );
}
reply.cancel();
console.log(`${seen} events reached the listener`);
