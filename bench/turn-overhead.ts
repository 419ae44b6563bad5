/**
 * Turn overhead: sequential turns through `AgentSession.send()` against the same POSTs made with
 * raw axios (keep-alive; once as the library configures it, once with axios defaults) and with
 * raw `node:http` (keep-alive), on the same emulator; and the managed path, turns through
 * `client.conversations()` (memory store, and Redis store when a Redis URL is given) against
 * the bare `send()`. The variants run interleaved in rounds, a fresh server session each per
 * round, so machine noise hits them alike; ratios are paired per round.
 */
import { ExportResultCode } from '@opentelemetry/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Redis } from 'ioredis';
import type { AgentforceClient } from '../src/index.js';
import { RedisStore } from '../src/redis.js';
import { childArgs, printResult, progress } from './lib/process.js';
import { cpuMicrosSince, microsSince, roundSummary, summarize, type Summary } from './lib/stats.js';
import {
  AGENT_ID,
  TEXT,
  apiHeaders,
  defaultAxios,
  type Endpoint,
  endpointOf,
  keepAliveAgent,
  libraryClient,
  nodeSend,
  openRawSession,
  rawAxiosTurns,
  tunedAxios,
} from './lib/wire.js';

export interface TurnOverheadArgs {
  url: string;
  rounds: number;
  turnsPerRound: number;
  /** A Redis for the managed path with the Redis store; without it that variant is skipped. */
  redisUrl?: string | undefined;
}

type Turn = () => Promise<unknown>;

interface Variant {
  name: string;
  /** Opens a fresh server session and returns one turn on it. */
  open(): Promise<Turn>;
}

export interface VariantResult {
  /** Wall µs per turn, one value per round. */
  wallUs: Summary;
  /** Client CPU µs per turn, one value per round. */
  cpuUs: Summary;
}

export interface TurnOverheadResult {
  rounds: number;
  turnsPerRound: number;
  variants: Record<string, VariantResult>;
  /** Paired per-round ratios of the library's wall time to each baseline's. */
  ratios: Record<string, Summary>;
  /** Paired per-round ratios of client CPU per turn. */
  cpuRatios: Record<string, Summary>;
  /** Paired per-round ratios of each managed variant to the bare `send()` (wall, then CPU). */
  managedRatios: Record<string, Summary>;
  managedCpuRatios: Record<string, Summary>;
  /** redis-server CPU per managed turn with the Redis store, µs, one value per round. */
  redisCpuUs?: Summary;
}

/** The library variants measured against the bare `send()`, not against raw HTTP. */
const MANAGED = ['managed', 'managedRedis', 'telemetryOff', 'telemetrySdk'];

/**
 * The bare `send()` with telemetry off (`telemetry: false`), and with the OpenTelemetry SDK
 * recording every span and metric (batched, exported nowhere). `library` itself runs with
 * telemetry on and no SDK registered: against `telemetryOff` it shows what that costs.
 */
function telemetryVariants(url: string): { variants: Variant[]; clients: AgentforceClient[] } {
  const sdk = {
    tracerProvider: new BasicTracerProvider({
      spanProcessors: [
        new BatchSpanProcessor({
          export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
          shutdown: () => Promise.resolve(),
        }),
      ],
    }),
    meterProvider: new MeterProvider(),
  };
  const clients = [
    libraryClient(url, { telemetry: false }),
    libraryClient(url, { telemetry: sdk }),
  ];
  const variants = ['telemetryOff', 'telemetrySdk'].map((name, i) => ({
    name,
    async open() {
      const session = clients[i]!.session({ agentId: AGENT_ID });
      await session.start();
      return () => session.send(TEXT);
    },
  }));
  return { variants, clients };
}

/** A turn through a session manager: one conversation per round, started by its first message. */
function managedVariant(name: string, client: AgentforceClient, store?: RedisStore): Variant {
  const manager = client.conversations({ session: { agentId: AGENT_ID }, store });
  let round = 0;
  return {
    name,
    async open() {
      const key = `bench-${++round}`;
      await manager.send(key, TEXT);
      return () => manager.send(key, TEXT);
    },
  };
}

function variants(ep: Endpoint, client: AgentforceClient, redisStore?: RedisStore): Variant[] {
  const headers = apiHeaders(ep);
  const rawAxios = (name: string, ax: ReturnType<typeof tunedAxios>): Variant => ({
    name,
    open: () => rawAxiosTurns(ep, ax),
  });
  const agent = keepAliveAgent();
  return [
    {
      name: 'library',
      async open() {
        const session = client.session({ agentId: AGENT_ID });
        await session.start();
        return () => session.send(TEXT);
      },
    },
    rawAxios('axios', tunedAxios()),
    rawAxios('axiosDefault', defaultAxios()),
    {
      name: 'nodeHttp',
      async open() {
        const session = await openRawSession(ep);
        const url = new URL(session.messagesUrl);
        return () => nodeSend(agent, url, headers, session.nextBody());
      },
    },
    managedVariant('managed', client),
    ...(redisStore ? [managedVariant('managedRedis', client, redisStore)] : []),
  ];
}

/** CPU time redis-server used so far (`INFO cpu`), µs. */
async function redisCpuUs(redis: Redis): Promise<number> {
  const text = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(text)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

async function measure(turn: Turn, n: number): Promise<{ wallUs: number; cpuUs: number }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await turn();
  return { wallUs: microsSince(start) / n, cpuUs: cpuMicrosSince(cpu) / n };
}

export async function runTurnOverhead(args: TurnOverheadArgs): Promise<TurnOverheadResult> {
  const ep = await endpointOf(args.url);
  const client = libraryClient(args.url);
  const prefix = `bench:${process.pid}:`;
  const redisStore = args.redisUrl ? new RedisStore(args.redisUrl, { prefix }) : undefined;
  const redis = args.redisUrl ? new Redis(args.redisUrl) : undefined;
  const telemetry = telemetryVariants(args.url);
  const all = [...variants(ep, client, redisStore), ...telemetry.variants];
  const wall: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  const redisCpu: number[] = [];
  // Warm-up: JIT, connections, token; not recorded.
  for (const v of all) await measure(await v.open(), Math.max(200, args.turnsPerRound));
  for (let r = 0; r < args.rounds; r++) {
    // Rotate the order so no variant always runs first or last in a round.
    const order = all.map((_, i) => all[(i + r) % all.length]!);
    for (const v of order) {
      const turn = await v.open();
      await measure(turn, 10);
      const redisBefore = redis && v.name === 'managedRedis' ? await redisCpuUs(redis) : 0;
      const m = await measure(turn, args.turnsPerRound);
      if (redis && v.name === 'managedRedis')
        redisCpu.push(((await redisCpuUs(redis)) - redisBefore) / args.turnsPerRound);
      (wall[v.name] ??= []).push(m.wallUs);
      (cpu[v.name] ??= []).push(m.cpuUs);
    }
    progress(
      `turn overhead round ${r + 1}/${args.rounds}: ` +
        all.map((v) => `${v.name} ${wall[v.name]!.at(-1)!.toFixed(0)} µs`).join(', '),
    );
  }
  client.close();
  for (const c of telemetry.clients) c.close();
  if (redis) {
    const leftovers = await redis.keys(`${prefix}*`);
    if (leftovers.length > 0) await redis.del(...leftovers);
    await redis.quit();
  }
  await redisStore?.close();
  const paired = (of: Record<string, number[]>, top: string, base: string) =>
    roundSummary(summarize(of[top]!.map((x, i) => x / of[base]![i]!)), 3);
  const result: TurnOverheadResult = {
    rounds: args.rounds,
    turnsPerRound: args.turnsPerRound,
    variants: {},
    ratios: {},
    cpuRatios: {},
    managedRatios: {},
    managedCpuRatios: {},
    ...(redisCpu.length > 0 ? { redisCpuUs: roundSummary(summarize(redisCpu)) } : {}),
  };
  for (const v of all) {
    result.variants[v.name] = {
      wallUs: roundSummary(summarize(wall[v.name]!)),
      cpuUs: roundSummary(summarize(cpu[v.name]!)),
    };
    if (MANAGED.includes(v.name)) {
      result.managedRatios[v.name] = paired(wall, v.name, 'library');
      result.managedCpuRatios[v.name] = paired(cpu, v.name, 'library');
    } else if (v.name !== 'library') {
      result.ratios[v.name] = paired(wall, 'library', v.name);
      result.cpuRatios[v.name] = paired(cpu, 'library', v.name);
    }
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printResult(await runTurnOverhead(childArgs<TurnOverheadArgs>()));
}
