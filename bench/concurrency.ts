/**
 * Concurrency: many live sessions with a fixed number of turns in flight, turns per second and
 * latency, through the library against the same POSTs with raw axios (keep-alive, configured as
 * the library does) and raw `node:http` (keep-alive) at the same concurrency. Each turn goes to
 * the next session round-robin, so a session never has two turns in flight. Variants run
 * interleaved in rounds; throughput ratios are paired per round.
 */
import type { AgentSession } from '../src/index.js';
import { pool } from './lib/pool.js';
import { childArgs, printResult, progress } from './lib/process.js';
import { percentiles, round, roundSummary, summarize, type Summary } from './lib/stats.js';
import {
  AGENT_ID,
  TEXT,
  apiHeaders,
  axiosSend,
  endpointOf,
  keepAliveAgent,
  libraryClient,
  nodeSend,
  openRawSession,
  type RawSession,
  tunedAxios,
} from './lib/wire.js';

export interface ConcurrencyArgs {
  url: string;
  sessions: number;
  inFlight: number;
  rounds: number;
  turnsPerRound: number;
}

export interface ConcurrencyVariant {
  /** Turns per second, one value per round. */
  turnsPerSec: Summary;
  /** Latency percentiles over every turn of every round, µs. */
  latencyUs: Record<string, number>;
  /** Client CPU per turn (this process, user + system), µs, one value per round. */
  cpuUs: Summary;
}

export interface ConcurrencyResult {
  sessions: number;
  inFlight: number;
  rounds: number;
  turnsPerRound: number;
  /** Seconds to start the library's sessions (HTTP, `inFlight` at a time). */
  startSeconds: number;
  variants: Record<string, ConcurrencyVariant>;
  /** Paired per-round throughput ratios library / baseline. */
  throughputRatios: Record<string, Summary>;
  /** Library latency minus baseline latency at p50 and p99, µs. */
  addedLatencyUs: Record<string, { p50: number; p99: number }>;
}

type Turn = (i: number) => Promise<unknown>;

export async function runConcurrency(args: ConcurrencyArgs): Promise<ConcurrencyResult> {
  const ep = await endpointOf(args.url);
  const headers = apiHeaders(ep);
  const client = libraryClient(args.url);
  const n = args.sessions;

  const t0 = process.hrtime.bigint();
  const sessions: AgentSession[] = new Array<AgentSession>(n);
  await pool(n, args.inFlight, async (i) => {
    const s = client.session({ agentId: AGENT_ID });
    await s.start();
    sessions[i] = s;
  });
  const startSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  progress(`concurrency: ${n} library sessions started in ${startSeconds.toFixed(1)} s`);

  const ax = tunedAxios();
  // One sequence per raw session, shared by the axios and node:http variants.
  const raw: RawSession[] = new Array<RawSession>(n);
  await pool(n, args.inFlight, async (i) => {
    raw[i] = await openRawSession(ep, ax);
  });
  const agent = keepAliveAgent();
  const nodeUrls = raw.map((r) => new URL(r.messagesUrl));

  const variants: Record<string, Turn> = {
    library: (i) => sessions[i % n]!.send(TEXT),
    axios: (i) => {
      const r = raw[i % n]!;
      return axiosSend(ax, r.messagesUrl, headers, r.nextBody());
    },
    nodeHttp: (i) => {
      const k = i % n;
      return nodeSend(agent, nodeUrls[k]!, headers, raw[k]!.nextBody());
    },
  };
  const names = Object.keys(variants);
  const tps: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  const lat: Record<string, number[]> = {};
  // Offsets so each round starts where the last stopped: every session gets used.
  let offset = 0;
  const run = async (name: string, turns: number, record: boolean) => {
    const turn = variants[name]!;
    const samples: number[] = [];
    const base = offset;
    offset += turns;
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    await pool(turns, args.inFlight, async (i) => {
      const t = process.hrtime.bigint();
      await turn(base + i);
      samples.push(Number(process.hrtime.bigint() - t) / 1000);
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpuStart);
    if (record) {
      (tps[name] ??= []).push(turns / seconds);
      (cpu[name] ??= []).push((used.user + used.system) / turns);
      (lat[name] ??= []).push(...samples);
    }
  };
  for (const name of names) await run(name, Math.max(n, args.turnsPerRound / 2), false);
  for (let r = 0; r < args.rounds; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    for (const name of order) await run(name, args.turnsPerRound, true);
    progress(
      `concurrency round ${r + 1}/${args.rounds}: ` +
        names.map((v) => `${v} ${tps[v]!.at(-1)!.toFixed(0)}/s`).join(', '),
    );
  }
  client.close();
  agent.destroy();

  const result: ConcurrencyResult = {
    sessions: n,
    inFlight: args.inFlight,
    rounds: args.rounds,
    turnsPerRound: args.turnsPerRound,
    startSeconds: round(startSeconds, 2),
    variants: {},
    throughputRatios: {},
    addedLatencyUs: {},
  };
  const pct: Record<string, Record<string, number>> = {};
  for (const name of names) {
    pct[name] = percentiles(lat[name]!, [0.5, 0.9, 0.99]);
    result.variants[name] = {
      turnsPerSec: roundSummary(summarize(tps[name]!), 0),
      latencyUs: Object.fromEntries(Object.entries(pct[name]).map(([k, v]) => [k, round(v, 0)])),
      cpuUs: roundSummary(summarize(cpu[name]!), 0),
    };
  }
  for (const name of names) {
    if (name === 'library') continue;
    result.throughputRatios[name] = roundSummary(
      summarize(tps['library']!.map((x, i) => x / tps[name]![i]!)),
      3,
    );
    result.addedLatencyUs[name] = {
      p50: round(pct['library']!['p50']! - pct[name]!['p50']!, 0),
      p99: round(pct['library']!['p99']! - pct[name]!['p99']!, 0),
    };
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printResult(await runConcurrency(childArgs<ConcurrencyArgs>()));
}
