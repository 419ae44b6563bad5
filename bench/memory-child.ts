/**
 * Heap per live idle session, in its own process (`node --expose-gc`): heapUsed after two full
 * GCs before and after making `count` sessions that then sit idle in `awaitingInput`, divided by
 * `count`. `mode: 'http'` starts every session against the emulator (greeting and all);
 * `mode: 'restore'` restores each from the persisted snapshot of a session started over HTTP and
 * answered once (JSON-parsed per session, with its own session id), which gives the same live
 * actor without a request per session; `mode: 'turn'` restores each and has it answer one message
 * (a session that has had a turn holds a little more). Also reports the bytes of a persisted
 * snapshot.
 */
import type { AgentSession } from '../src/index.js';
import { pool } from './lib/pool.js';
import { childArgs, printResult, progress } from './lib/process.js';
import { AGENT_ID, TEXT, libraryClient } from './lib/wire.js';

export interface MemoryChildArgs {
  url: string;
  count: number;
  mode: 'http' | 'restore' | 'turn';
  /** Starts (or turns) in flight at a time, for `http` and `turn`. */
  concurrency: number;
}

export interface MemoryChildResult {
  count: number;
  mode: MemoryChildArgs['mode'];
  /** Bytes of heap per session. */
  heapPerSession: number;
  /** MB of RSS growth for all sessions. */
  rssGrowthMB: number;
  /** µs to make one session (start over HTTP with `concurrency` in flight, or restore). */
  createUsPerSession: number;
  states: Record<string, number>;
  /** `JSON.stringify(session.snapshot()).length` after the greeting, and after one more turn. */
  snapshotBytes: { afterStart: number; afterTurn: number };
}

const gc = (globalThis as { gc?: () => void }).gc;

function heapUsed(): number {
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export async function runMemoryChild(args: MemoryChildArgs): Promise<MemoryChildResult> {
  const client = libraryClient(args.url);
  const template = client.session({ agentId: AGENT_ID });
  await template.start();
  const afterStart = JSON.stringify(template.snapshot()).length;
  await template.send(TEXT);
  const persisted = JSON.stringify(template.snapshot());
  const afterTurn = persisted.length;
  const templateId = template.sessionId!;
  // Warm the code paths the measured sessions use (and, over HTTP, open the sockets), then drop
  // the warm-up sessions: one-time costs are not per-session costs.
  const warm: AgentSession[] = [];
  if (args.mode === 'restore') {
    for (let i = 0; i < 200; i++) warm.push(client.restore(JSON.parse(persisted)));
  } else if (args.mode === 'turn') {
    await pool(200, 1, async () => {
      const s = client.restore(JSON.parse(persisted));
      await s.send(TEXT);
      warm.push(s);
    });
  } else {
    await pool(200, args.concurrency, async () => {
      const s = client.session({ agentId: AGENT_ID });
      await s.start();
      warm.push(s);
    });
  }
  for (const s of warm) s.stop();
  warm.length = 0;

  const sessions: AgentSession[] = new Array<AgentSession>(args.count);
  const before = heapUsed();
  const rssBefore = process.memoryUsage().rss;
  const start = process.hrtime.bigint();
  if (args.mode === 'restore') {
    for (let i = 0; i < args.count; i++) {
      const id = `${templateId.slice(0, -8)}${i.toString(16).padStart(8, '0')}`;
      sessions[i] = client.restore(JSON.parse(persisted.replaceAll(templateId, id)));
    }
  } else if (args.mode === 'turn') {
    // Every restored copy talks to the template's server session: one turn at a time (a second
    // request in flight on one session would be refused with 423).
    await pool(args.count, 1, async (i) => {
      const s = client.restore(JSON.parse(persisted));
      await s.send(TEXT);
      sessions[i] = s;
    });
  } else {
    await pool(args.count, args.concurrency, async (i) => {
      const s = client.session({ agentId: AGENT_ID });
      await s.start();
      sessions[i] = s;
      if (i % 5000 === 4999) progress(`memory: ${i + 1} sessions started`);
    });
  }
  const createUs = Number(process.hrtime.bigint() - start) / 1000;
  // Let the last replies' sockets and buffers settle before measuring.
  await new Promise((r) => setTimeout(r, 200));
  const after = heapUsed();
  const rssAfter = process.memoryUsage().rss;
  const states: Record<string, number> = {};
  for (const s of sessions) states[s.state] = (states[s.state] ?? 0) + 1;
  const result: MemoryChildResult = {
    count: args.count,
    mode: args.mode,
    heapPerSession: Math.round((after - before) / args.count),
    rssGrowthMB: Math.round((rssAfter - rssBefore) / 1e5) / 10,
    createUsPerSession: Math.round((createUs / args.count) * 10) / 10,
    states,
    snapshotBytes: { afterStart, afterTurn },
  };
  // Keep the sessions reachable until after the measurement.
  if (sessions.length !== args.count) throw new Error('lost sessions');
  client.close();
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printResult(await runMemoryChild(childArgs<MemoryChildArgs>()));
  process.exit(0);
}
