/**
 * Scale-out figures of the session manager:
 *
 * 1. memory: heap per idle live session with 10,000 and 100,000 sessions in one process (sessions
 *    restored from a persisted `awaitingInput` snapshot taken after one real turn, so no HTTP per
 *    session);
 * 2. the persisted size of a conversation in Redis after 1 and 10 turns (`HSTRLEN` of the record,
 *    `MEMORY USAGE` of the key);
 * 3. turn throughput with 1 node and with 2 nodes (node processes, each with its own client and
 *    SessionManager on one RedisStore), the emulator in its own process: N conversations, M turns
 *    each, C conversations at a time, every message to a random node (no sticky routing) or, for
 *    comparison, always to the same node per conversation.
 *
 * Run: `node --expose-gc --import tsx bench/scale-out.ts [--quick]`. Writes
 * `bench/results/scale-out.json`. Uses `REDIS_URL` when set, else starts a `redis-server`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { AgentforceClient, clientCredentials, type AgentSession } from '../src/index.js';
import { RedisStore } from '../src/redis.js';
import { startStrictEmulator } from '../test/manager/strict-emulator.js';
import { seededRandom } from '../src/fake-server/random.js';
import { startRedis, uniquePrefix } from '../test/stores/redis-server.js';
import {
  FIXTURE_AGENT_ID,
  FIXTURE_CLIENT_ID,
  FIXTURE_CLIENT_SECRET,
  NodeProcess,
  ROOT,
} from '../test/manager/fixtures/cluster.js';

const quick = process.argv.includes('--quick');
const MEMORY_SIZES = quick ? [1_000, 10_000] : [10_000, 100_000];
const CONVERSATIONS = quick ? 50 : 100;
const TURNS = quick ? 4 : 10;
const CONCURRENCY = quick ? 16 : 32;
const REPEAT = quick ? 1 : 3;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with: node --expose-gc --import tsx bench/scale-out.ts');
  process.exit(2);
}

function collect(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

// ---------------------------------------------------------------------------------------------
// 1 + 2: memory per live session, persisted size

interface MemoryFigure {
  sessions: number;
  heapBytesPerSession: number;
  heapUsedMB: number;
  rssMB: number;
  restoreMs: number;
  restoresPerSecond: number;
}

interface PersistedFigure {
  turns: number;
  snapshotJsonBytes: number;
  recordBytes: number;
  redisMemoryUsageBytes: number;
}

async function memoryAndSize(redisUrl: string) {
  const api = await startStrictEmulator({
    clientId: FIXTURE_CLIENT_ID,
    clientSecret: FIXTURE_CLIENT_SECRET,
  });
  const client = new AgentforceClient({
    myDomainUrl: api.url,
    auth: clientCredentials({ clientId: FIXTURE_CLIENT_ID, clientSecret: FIXTURE_CLIENT_SECRET }),
  });

  // The persisted size, through the manager and a RedisStore, after 1 and after 10 turns.
  const prefix = uniquePrefix('bench-size');
  const store = new RedisStore(redisUrl, { prefix });
  const manager = client.conversations({ session: { agentId: FIXTURE_AGENT_ID }, store });
  const redis = new Redis(redisUrl);
  const persisted: PersistedFigure[] = [];
  for (let turn = 1; turn <= 10; turn++) {
    await manager.send('sized', `message number ${turn} about nothing in particular`);
    if (turn !== 1 && turn !== 10) continue;
    const key = `${prefix}session:{sized}`;
    const record = await store.load('sized');
    persisted.push({
      turns: turn,
      snapshotJsonBytes: JSON.stringify(record?.snapshot).length,
      recordBytes: await redis.hstrlen(key, 'record'),
      redisMemoryUsageBytes: Number(await redis.call('MEMORY', 'USAGE', key)),
    });
  }
  await manager.endAll();
  await store.close();
  const leftovers = await redis.keys(`${prefix}*`);
  if (leftovers.length > 0) await redis.del(...leftovers);
  await redis.quit();

  // A persisted awaitingInput snapshot after one real turn.
  const original = client.session({ agentId: FIXTURE_AGENT_ID });
  await original.send('hello, I have a question');
  const snapshot = original.snapshot();
  if (original.state !== 'awaitingInput') throw new Error(`unexpected state ${original.state}`);
  original.stop();

  const memory: MemoryFigure[] = [];
  for (const n of MEMORY_SIZES) {
    const before = collect();
    const sessions: AgentSession[] = [];
    const started = performance.now();
    for (let i = 0; i < n; i++) sessions.push(client.restore(snapshot));
    const restoreMs = performance.now() - started;
    const after = collect();
    if (sessions.some((s) => s.state !== 'awaitingInput')) throw new Error('a session is not idle');
    memory.push({
      sessions: n,
      heapBytesPerSession: Math.round((after - before) / n),
      heapUsedMB: mb(after),
      rssMB: mb(process.memoryUsage().rss),
      restoreMs: Math.round(restoreMs),
      restoresPerSecond: Math.round(n / (restoreMs / 1000)),
    });
    for (const s of sessions) s.stop();
    sessions.length = 0;
    collect();
  }
  client.close();
  await api.close();
  return { memory, persisted, snapshotBytes: JSON.stringify(snapshot).length };
}

// ---------------------------------------------------------------------------------------------
// 3: throughput with 1 and 2 nodes

interface Emulator {
  url: string;
  stop(): Promise<unknown>;
}

function startEmulatorProcess(): Promise<Emulator> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/manager/fixtures/emulator.ts'], {
    cwd: ROOT,
    env: { ...process.env, CLIENT_ID: FIXTURE_CLIENT_ID, CLIENT_SECRET: FIXTURE_CLIENT_SECRET },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const summary = new Promise<unknown>((resolve) => {
    let last = '';
    lines.on('line', (line) => (last = line));
    child.once('exit', () => resolve(last.startsWith('{') ? JSON.parse(last) : null));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the emulator did not start in 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`the emulator exited (${code})`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      const url = /^listening on (\S+)/.exec(line)?.[1];
      if (!url) return reject(new Error(`unexpected line from the emulator: ${line}`));
      resolve({
        url,
        stop: () => {
          child.stdin.end();
          return summary;
        },
      });
    });
  });
}

/** CPU time redis-server used so far (`INFO cpu`), ms. */
async function redisCpuMs(url: string): Promise<number> {
  const client = new Redis(url);
  const text = await client.info('cpu');
  await client.quit();
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(text)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

interface Round {
  /** First message of every conversation (session start + message), per second. */
  openedPerSecond: number;
  /** Later turns, per second. */
  turnsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  /** CPU time of the node processes per later turn, summed over the nodes (load-independent). */
  nodeCpuMsPerTurn: number;
  /** CPU time of redis-server per later turn. */
  redisCpuMsPerTurn: number;
}

interface ThroughputRun extends Round {
  nodes: number;
  routing: 'random' | 'sticky';
  conversations: number;
  turnsPerConversation: number;
  concurrency: number;
  /** Every round, the reported figures being those of the median round by turns/s. */
  rounds: Round[];
  /** Turns each node ran over all rounds (from its manager's counters). */
  turnsByNode: number[];
  /** Time for every node's `manager.endAll()` to end all the conversations. */
  shutdownMs: number;
  endedAtShutdown: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** Spawns the nodes, runs a warm-up and REPEAT rounds on fresh conversations, shuts down. */
async function throughputRun(
  emulatorUrl: string,
  redisUrl: string,
  nodeCount: number,
  routing: 'random' | 'sticky',
): Promise<ThroughputRun> {
  const prefix = uniquePrefix(`bench-${nodeCount}`);
  const nodes = await Promise.all(
    Array.from({ length: nodeCount }, (_, i) =>
      NodeProcess.spawn({
        name: `bench-node-${i}`,
        redisUrl,
        prefix,
        apiUrl: emulatorUrl,
        events: false,
        lockWaitMs: 30_000,
      }),
    ),
  );
  const random = seededRandom(nodeCount * 7919 + (routing === 'random' ? 1 : 2));
  const nodeFor = (key: string): NodeProcess => {
    if (routing === 'random') return nodes[Math.floor(random() * nodes.length)]!;
    const index = Number(/(\d+)$/.exec(key)?.[1] ?? 0) % nodes.length;
    return nodes[index]!;
  };

  // Warm-up: each node gets a token and runs its code paths once.
  await Promise.all(nodes.map((n, i) => n.send(`warm-${i}`, 'w', 'warm up')));

  const rounds: Round[] = [];
  // Round 0 warms the nodes up (the JIT, the connection pools) and is not reported.
  for (let r = 0; r <= REPEAT; r++) {
    console.log(
      `throughput: ${nodeCount} node(s), ${routing} routing, ${r === 0 ? 'warm-up round' : `round ${r}`}...`,
    );
    const keys = Array.from({ length: CONVERSATIONS }, (_, i) => `round-${r}-${i}`);
    let failed = 0;
    const latencies: number[] = [];
    const turn = async (key: string, i: number, measure: boolean) => {
      const started = performance.now();
      const answer = await nodeFor(key).send(key, `${key}-${i}`, `turn ${i} of ${key}`);
      if (!answer.ok) failed++;
      if (measure) latencies.push(performance.now() - started);
    };
    const pool = async (work: (key: string) => Promise<void>) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < keys.length) await work(keys[next++]!);
        }),
      );
    };

    let started = performance.now();
    await pool((key) => turn(key, 0, false));
    const openedPerSecond = keys.length / ((performance.now() - started) / 1000);

    const cpuBefore = await Promise.all(nodes.map((n) => n.stats()));
    const redisCpuBefore = await redisCpuMs(redisUrl);
    started = performance.now();
    await pool(async (key) => {
      for (let i = 1; i <= TURNS; i++) await turn(key, i, true);
    });
    const turnsPerSecond = (keys.length * TURNS) / ((performance.now() - started) / 1000);
    const cpuAfter = await Promise.all(nodes.map((n) => n.stats()));
    const redisCpu = (await redisCpuMs(redisUrl)) - redisCpuBefore;
    const nodeCpu = cpuAfter.reduce((sum, after, i) => sum + after.cpuMs - cpuBefore[i]!.cpuMs, 0);
    latencies.sort((a, b) => a - b);
    if (r === 0) continue;
    rounds.push({
      openedPerSecond: Math.round(openedPerSecond),
      turnsPerSecond: Math.round(turnsPerSecond),
      p50Ms: round1(percentile(latencies, 50)),
      p99Ms: round1(percentile(latencies, 99)),
      failed,
      nodeCpuMsPerTurn: round2(nodeCpu / (keys.length * TURNS)),
      redisCpuMsPerTurn: round2(redisCpu / (keys.length * TURNS)),
    });
  }

  const started = performance.now();
  const shutdowns = await Promise.all(nodes.map((n) => n.shutdown(60_000)));
  const shutdownMs = performance.now() - started;
  const middle = median(rounds.map((x) => x.turnsPerSecond));
  return {
    ...rounds.find((x) => x.turnsPerSecond === middle)!,
    nodes: nodeCount,
    routing,
    conversations: CONVERSATIONS,
    turnsPerConversation: TURNS,
    concurrency: CONCURRENCY,
    rounds,
    turnsByNode: shutdowns.map((x) => x.stats.turns),
    shutdownMs: Math.round(shutdownMs),
    endedAtShutdown: shutdowns.reduce((sum, x) => sum + x.ended, 0),
  };
}

// ---------------------------------------------------------------------------------------------

const load = { start: loadavg().map((l) => Math.round(l * 100) / 100), end: [] as number[] };
const redis = await startRedis();
const info = new Redis(redis.url);
const redisVersion = /redis_version:(\S+)/.exec(await info.info('server'))?.[1] ?? 'unknown';
await info.quit();

console.log(`memory and persisted size (${MEMORY_SIZES.join(', ')} sessions)...`);
const sizes = await memoryAndSize(redis.url);

const emulator = await startEmulatorProcess();
const configs: Array<{ nodes: number; routing: 'random' | 'sticky' }> = [
  { nodes: 1, routing: 'random' },
  { nodes: 2, routing: 'random' },
  { nodes: 2, routing: 'sticky' },
];
const throughput: ThroughputRun[] = [];
for (const config of configs) {
  throughput.push(await throughputRun(emulator.url, redis.url, config.nodes, config.routing));
}
const emulatorSummary = await emulator.stop();
await redis.stop();
load.end = loadavg().map((l) => Math.round(l * 100) / 100);

const results = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  loadAverage: load,
  redisVersion,
  quick,
  memory: sizes.memory,
  persistedSnapshotBytes: sizes.snapshotBytes,
  persisted: sizes.persisted,
  throughput,
  emulator: emulatorSummary,
};

console.log('\nheap per idle live session (restored awaitingInput sessions in one process)');
console.table(
  sizes.memory.map((m) => ({
    sessions: m.sessions,
    'heap B/session': m.heapBytesPerSession,
    'heap MB': m.heapUsedMB,
    'rss MB': m.rssMB,
    'restores/s': m.restoresPerSecond,
  })),
);
console.log('persisted conversation in Redis');
console.table(
  sizes.persisted.map((p) => ({
    turns: p.turns,
    'snapshot JSON B': p.snapshotJsonBytes,
    'record B (HSTRLEN)': p.recordBytes,
    'MEMORY USAGE B': p.redisMemoryUsageBytes,
  })),
);
console.log(
  `turn throughput: ${CONVERSATIONS} conversations x ${TURNS} turns, ${CONCURRENCY} at a time, median of ${REPEAT} rounds`,
);
console.table(
  throughput.map((t) => ({
    nodes: t.nodes,
    routing: t.routing,
    'turns/s': t.turnsPerSecond,
    'rounds turns/s': t.rounds.map((x) => x.turnsPerSecond).join(' '),
    'opened/s': t.openedPerSecond,
    'p50 ms': t.p50Ms,
    'p99 ms': t.p99Ms,
    failed: t.failed,
    'node CPU ms/turn': t.nodeCpuMsPerTurn,
    'redis CPU ms/turn': t.redisCpuMsPerTurn,
    'turns by node': t.turnsByNode.join('/'),
    'shutdown ms': t.shutdownMs,
  })),
);
console.log(`load average ${load.start.join(' ')} → ${load.end.join(' ')} on ${results.cpus} CPUs`);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/scale-out.json', import.meta.url),
  `${JSON.stringify(results, null, 2)}\n`,
);
console.log('wrote bench/results/scale-out.json');
