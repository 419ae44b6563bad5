/**
 * `npm run bench`: every benchmark, each in its own process, against an emulator in another
 * process, each figure next to its raw baseline measured in the same run. Writes
 * bench/results/latest.json and the results table of docs/benchmarks.md.
 *
 *   npm run bench                    # full run (under 5 minutes)
 *   npm run bench -- --quick         # smoke run: small counts, writes bench/results/quick.json only
 *   npm run bench -- --only turn,memory
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import type { ConcurrencyArgs, ConcurrencyResult } from './concurrency.js';
import type { EmulatorArgs, EmulatorResult } from './emulator.js';
import type { MemoryChildArgs, MemoryChildResult } from './memory-child.js';
import type { ModelPathsArgs, ModelPathsResult } from './model-paths.js';
import { ROOT, TSX, buildPackage, runChild, startServer } from './lib/process.js';
import {
  machineInfo,
  markdown,
  n,
  spliceDoc,
  spread,
  type Figure,
  type Results,
} from './lib/report.js';
import { startRedis, type TestRedis } from '../test/stores/redis-server.js';
import type { StreamingArgs, StreamingResult } from './streaming.js';
import type { TurnOverheadArgs, TurnOverheadResult } from './turn-overhead.js';

const MEMORY_MODES: Record<MemoryChildArgs['mode'], string> = {
  http: 'started over HTTP (greeting kept)',
  turn: 'restored, then one turn each',
  restore: 'restored from an awaitingInput snapshot',
};

const BENCHMARKS = ['turn', 'concurrency', 'streaming', 'memory', 'emulator', 'model'] as const;
type Name = (typeof BENCHMARKS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const quick = values.quick ?? false;
const only = new Set(values.only ? values.only.split(',').map((s) => s.trim()) : BENCHMARKS);
for (const name of only) {
  if (!(BENCHMARKS as readonly string[]).includes(name))
    throw new Error(`unknown benchmark ${name}; one of ${BENCHMARKS.join(', ')}`);
}

const settings = quick
  ? {
      turn: { rounds: 3, turnsPerRound: 100 },
      concurrency: { sessions: 200, inFlight: 64, rounds: 2, turnsPerRound: 500 },
      streaming: { rounds: 2, shortTurns: 10, longTurns: 1, burst: 50 },
      memory: { http: 500, turn: 500, restore: [2_000, 10_000] },
      emulator: { runs: 1, windows: 1, duration: 1, connections: 16, sessions: 64 },
      model: { repeats: 1 },
    }
  : {
      turn: { rounds: 10, turnsPerRound: 400 },
      concurrency: { sessions: 1_000, inFlight: 64, rounds: 3, turnsPerRound: 2_000 },
      streaming: { rounds: 4, shortTurns: 40, longTurns: 3, burst: 100 },
      memory: { http: 2_000, turn: 2_000, restore: [10_000, 100_000] },
      emulator: { runs: 2, windows: 3, duration: 2, connections: 16, sessions: 256 },
      model: { repeats: 3 },
    };

const started = process.hrtime.bigint();
const loadAtStart = Math.round(os.loadavg()[0]! * 100) / 100;
process.stderr.write('== build (the children load the library from dist/, as it ships)\n');
buildPackage();
const benchmarks: Record<string, unknown> = {};
const failures: Record<string, string> = {};

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Runs `fn` with a fresh bench emulator (zero latency, no pause between SSE events). */
async function withEmulator<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const server = await startServer([...TSX, 'bench/servers/emulator.ts']);
  try {
    return await fn(server.url);
  } finally {
    await server.close();
  }
}

/**
 * Runs `fn` with a Redis (`REDIS_URL`, else a `redis-server` started here), or with `undefined`
 * when there is none: the figures that need it are then left out, with a note.
 */
async function withRedis<T>(fn: (url: string | undefined) => Promise<T>): Promise<T> {
  let redis: TestRedis | undefined;
  try {
    redis = await startRedis();
  } catch (err) {
    log(`no Redis (${err instanceof Error ? err.message : String(err)}): Redis figures skipped`);
  }
  try {
    return await fn(redis?.url);
  } finally {
    await redis?.stop();
  }
}

async function step(name: Name, fn: () => Promise<unknown>): Promise<void> {
  if (!only.has(name)) return;
  log(`\n== ${name}`);
  const t = process.hrtime.bigint();
  try {
    benchmarks[name] = await fn();
  } catch (err) {
    failures[name] = err instanceof Error ? err.message : String(err);
    log(`${name} failed: ${failures[name]}`);
  }
  log(`== ${name}: ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(0)} s`);
}

await step('turn', () =>
  withEmulator((url) =>
    withRedis((redisUrl) =>
      runChild<TurnOverheadResult>('bench/turn-overhead.ts', {
        url,
        redisUrl,
        ...settings.turn,
      } satisfies TurnOverheadArgs),
    ),
  ),
);
await step('concurrency', () =>
  withEmulator((url) =>
    runChild<ConcurrencyResult>('bench/concurrency.ts', {
      url,
      ...settings.concurrency,
    } satisfies ConcurrencyArgs),
  ),
);
await step('streaming', () =>
  withEmulator((url) =>
    runChild<StreamingResult>('bench/streaming.ts', {
      url,
      ...settings.streaming,
    } satisfies StreamingArgs),
  ),
);
await step('memory', () =>
  withEmulator(async (url) => {
    const flags = ['--expose-gc', '--max-old-space-size=8192'];
    const runs: MemoryChildResult[] = [];
    const one = (count: number, mode: MemoryChildArgs['mode']) =>
      runChild<MemoryChildResult>(
        'bench/memory-child.ts',
        { url, count, mode, concurrency: 64 } satisfies MemoryChildArgs,
        flags,
      );
    runs.push(await one(settings.memory.http, 'http'));
    runs.push(await one(settings.memory.turn, 'turn'));
    for (const count of settings.memory.restore) runs.push(await one(count, 'restore'));
    return { runs };
  }),
);
await step('emulator', () =>
  runChild<EmulatorResult>('bench/emulator.ts', settings.emulator satisfies EmulatorArgs),
);
await step('model', () =>
  runChild<ModelPathsResult>('bench/model-paths.ts', settings.model satisfies ModelPathsArgs),
);

const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
let figures: Figure[] = [];
try {
  figures = collectFigures(durationSeconds);
} catch (err) {
  failures['report'] = err instanceof Error ? err.message : String(err);
}
const results: Results = {
  command: quick ? 'npm run bench -- --quick' : 'npm run bench',
  quick,
  date: new Date().toISOString(),
  durationSeconds: Math.round(durationSeconds),
  machine: machineInfo(loadAtStart),
  figures,
  benchmarks,
  failures,
};
if (values.only) results.command += `${quick ? '' : ' --'} --only ${values.only}`;

const resultsDir = path.join(ROOT, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const partial = quick || values.only !== undefined;
const file = path.join(resultsDir, partial ? 'quick.json' : 'latest.json');
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
const table = markdown(results);
if (!partial) {
  const doc = path.join(ROOT, 'docs', 'benchmarks.md');
  let text = '# Benchmarks\n';
  try {
    text = readFileSync(doc, 'utf8');
  } catch {
    // first run: the generated block is the whole document
  }
  // Formatted as the rest of the docs are (the table columns aligned).
  const options = (await prettier.resolveConfig(doc)) ?? {};
  writeFileSync(
    doc,
    await prettier.format(spliceDoc(text, table), { ...options, parser: 'markdown' }),
  );
}
process.stdout.write(`\n${table}\n\nresults: ${path.relative(ROOT, file)}\n`);
if (Object.keys(failures).length > 0) process.exitCode = 1;

// ---------------------------------------------------------------------------------------------

function collectFigures(seconds: number): Figure[] {
  const out: Figure[] = [];
  const turn = benchmarks['turn'] as TurnOverheadResult | undefined;
  if (turn) {
    const lib = turn.variants['library']!;
    const us = (name: string) => spread(turn.variants[name]!.wallUs, ' µs');
    out.push({
      name: 'sequential turn, `send()` vs axios (keep-alive, `maxRedirects: 0`, as the library)',
      value: us('library'),
      baseline: us('axios'),
      ratio: turn.ratios['axios']!.median,
      ratioSpread: `${turn.ratios['axios']!.p25.toFixed(2)}–${turn.ratios['axios']!.p75.toFixed(2)}`,
      target: '≤ 1.20',
      pass: turn.ratios['axios']!.median <= 1.2,
    });
    out.push({
      name: 'sequential turn, `send()` vs axios with defaults (keep-alive agent only)',
      value: us('library'),
      baseline: us('axiosDefault'),
      ratio: turn.ratios['axiosDefault']!.median,
      ratioSpread: `${turn.ratios['axiosDefault']!.p25.toFixed(2)}–${turn.ratios['axiosDefault']!.p75.toFixed(2)}`,
      target: '',
      pass: null,
    });
    out.push({
      name: 'sequential turn, `send()` vs `node:http` (keep-alive)',
      value: us('library'),
      baseline: us('nodeHttp'),
      ratio: turn.ratios['nodeHttp']!.median,
      ratioSpread: `${turn.ratios['nodeHttp']!.p25.toFixed(2)}–${turn.ratios['nodeHttp']!.p75.toFixed(2)}`,
      target: '',
      pass: null,
    });
    out.push({
      name: 'client CPU per sequential turn, `send()` vs axios (as the library)',
      value: spread(lib.cpuUs, ' µs'),
      baseline: spread(turn.variants['axios']!.cpuUs, ' µs'),
      ratio: turn.cpuRatios['axios']!.median,
      ratioSpread: `${turn.cpuRatios['axios']!.p25.toFixed(2)}–${turn.cpuRatios['axios']!.p75.toFixed(2)}`,
      target: '≤ 1.30',
      pass: turn.cpuRatios['axios']!.median <= 1.3,
    });
    const managed = turn.managedRatios['managed'];
    if (managed) {
      out.push({
        name: 'managed turn, `client.conversations()` (memory store) vs bare `send()`',
        value: us('managed'),
        baseline: us('library'),
        ratio: managed.median,
        ratioSpread: `${managed.p25.toFixed(2)}–${managed.p75.toFixed(2)}`,
        target: '≤ 1.15',
        pass: managed.median <= 1.15,
      });
    }
    const redis = turn.managedCpuRatios['managedRedis'];
    if (redis && turn.redisCpuUs) {
      out.push({
        name: 'client CPU per managed turn with the Redis store vs bare `send()` (redis-server CPU per turn in brackets)',
        value: `${spread(turn.variants['managedRedis']!.cpuUs, ' µs')} (Redis ${spread(turn.redisCpuUs, ' µs')})`,
        baseline: spread(lib.cpuUs, ' µs'),
        ratio: redis.median,
        ratioSpread: `${redis.p25.toFixed(2)}–${redis.p75.toFixed(2)}`,
        target: '',
        pass: null,
      });
    }
    const off = turn.managedRatios['telemetryOff'];
    const sdk = turn.managedRatios['telemetrySdk'];
    const sdkCpu = turn.managedCpuRatios['telemetrySdk'];
    if (off && sdk && sdkCpu) {
      out.push({
        name: 'telemetry on with no OpenTelemetry SDK registered (the default) vs `telemetry: false`',
        value: us('library'),
        baseline: us('telemetryOff'),
        ratio: Math.round((1 / off.median) * 1000) / 1000,
        ratioSpread: `${(1 / off.p75).toFixed(2)}–${(1 / off.p25).toFixed(2)}`,
        target: 'within noise',
        pass: null,
      });
      out.push({
        name: 'telemetry with the OpenTelemetry SDK recording every span and metric vs no SDK (wall; client CPU in brackets)',
        value: `${us('telemetrySdk')} (CPU ${spread(turn.variants['telemetrySdk']!.cpuUs, ' µs')})`,
        baseline: `${us('library')} (CPU ${spread(lib.cpuUs, ' µs')})`,
        ratio: sdk.median,
        ratioSpread: `${sdk.p25.toFixed(2)}–${sdk.p75.toFixed(2)}; CPU ${sdkCpu.median.toFixed(2)}`,
        target: '',
        pass: null,
      });
    }
  }
  const conc = benchmarks['concurrency'] as ConcurrencyResult | undefined;
  if (conc) {
    const tps = (name: string) => spread(conc.variants[name]!.turnsPerSec, ' turns/s');
    const r = conc.throughputRatios['axios']!;
    out.push({
      name: `throughput, ${n(conc.sessions)} live sessions, ${conc.inFlight} turns in flight, vs axios (as the library)`,
      value: tps('library'),
      baseline: tps('axios'),
      ratio: r.median,
      ratioSpread: `${r.p25.toFixed(2)}–${r.p75.toFixed(2)}`,
      target: '≥ 0.75',
      pass: r.median >= 0.75,
    });
    const lat = (name: string) => {
      const l = conc.variants[name]!.latencyUs;
      return `p50 ${n(l['p50']! / 1000, 1)} ms, p99 ${n(l['p99']! / 1000, 1)} ms`;
    };
    const added = conc.addedLatencyUs['axios']!;
    out.push({
      name: `latency at ${conc.inFlight} in flight (added by the library: p50 ${n(added.p50 / 1000, 1)} ms, p99 ${n(added.p99 / 1000, 1)} ms)`,
      value: lat('library'),
      baseline: lat('axios'),
      ratio: null,
      ratioSpread: '',
      target: '',
      pass: null,
    });
    const rn = conc.throughputRatios['nodeHttp']!;
    out.push({
      name: `throughput at ${conc.inFlight} in flight vs \`node:http\``,
      value: tps('library'),
      baseline: tps('nodeHttp'),
      ratio: rn.median,
      ratioSpread: `${rn.p25.toFixed(2)}–${rn.p75.toFixed(2)}`,
      target: '',
      pass: null,
    });
    out.push({
      name: `client CPU per turn at ${conc.inFlight} in flight, vs axios`,
      value: spread(conc.variants['library']!.cpuUs, ' µs'),
      baseline: spread(conc.variants['axios']!.cpuUs, ' µs'),
      ratio: conc.variants['library']!.cpuUs.median / conc.variants['axios']!.cpuUs.median,
      ratioSpread: '',
      target: '',
      pass: null,
    });
  }
  const st = benchmarks['streaming'] as StreamingResult | undefined;
  if (st) {
    const lib = st.variants['library']!;
    const bare = st.variants['bare']!;
    out.push({
      name: 'streaming: time to first text delta (7-event reply), `stream()` vs bare SSE reader',
      value: spread(lib.firstDeltaUs, ' µs'),
      baseline: spread(bare.firstDeltaUs, ' µs'),
      ratio: st.firstDeltaRatio.median,
      ratioSpread: `${st.firstDeltaRatio.p25.toFixed(2)}–${st.firstDeltaRatio.p75.toFixed(2)}`,
      target: '≤ 1.5',
      pass: st.firstDeltaRatio.median <= 1.5,
    });
    out.push({
      name: `streaming: events per second (${lib.eventsPerLongTurn}-event reply), \`stream()\` vs bare SSE reader`,
      value: spread(lib.eventsPerSec, '/s'),
      baseline: spread(bare.eventsPerSec, '/s'),
      ratio: st.eventsPerSecRatio.median,
      ratioSpread: `${st.eventsPerSecRatio.p25.toFixed(2)}–${st.eventsPerSecRatio.p75.toFixed(2)}`,
      target: '≥ 0.80',
      pass: st.eventsPerSecRatio.median >= 0.8,
    });
  }
  const mem = benchmarks['memory'] as { runs: MemoryChildResult[] } | undefined;
  if (mem) {
    const restores = mem.runs.filter((r) => r.mode === 'restore');
    const largest = restores.at(-1);
    // Targets in KiB: the largest restore holds an idle session, a turn may add up to 1 KiB more.
    const targetKiB = (r: MemoryChildResult) =>
      r === largest ? 6 : r.mode === 'turn' ? 7 : undefined;
    for (const r of mem.runs) {
      const kib = targetKiB(r);
      out.push({
        name: `heap per live idle session, ${n(r.count)} sessions ${MEMORY_MODES[r.mode]}`,
        value: `${n(r.heapPerSession)} B`,
        baseline: '',
        ratio: null,
        ratioSpread: '',
        target: kib === undefined ? '' : `≤ ${n(kib * 1024)} B`,
        pass: kib === undefined ? null : r.heapPerSession <= kib * 1024,
      });
    }
    const http = mem.runs.find((r) => r.mode === 'http');
    const restore = restores[0];
    if (http && restore) {
      out.push({
        name: 'making a session: start over HTTP (64 in flight) vs restore from a snapshot',
        value: `${n(http.createUsPerSession)} µs per session`,
        baseline: `${n(restore.createUsPerSession)} µs per session`,
        ratio: null,
        ratioSpread: '',
        target: '',
        pass: null,
      });
    }
    const any = mem.runs[0];
    if (any) {
      out.push({
        name: 'persisted snapshot, `JSON.stringify(session.snapshot()).length`',
        value: `${n(any.snapshotBytes.afterStart)} B after the greeting, ${n(any.snapshotBytes.afterTurn)} B after a turn`,
        baseline: '',
        ratio: null,
        ratioSpread: '',
        target: '',
        pass: null,
      });
    }
  }
  const emu = benchmarks['emulator'] as EmulatorResult | undefined;
  if (emu) {
    out.push({
      name: `emulator sync-send throughput (autocannon, ${emu.connections} connections) vs bare \`node:http\` answering the same JSON`,
      value: `${n(emu.emulatorMedianRps)} req/s`,
      baseline: `${n(emu.bareMedianRps)} req/s`,
      ratio: emu.medianRatio,
      ratioSpread: '',
      target: '≥ 0.60',
      pass: emu.medianRatio >= 0.6,
    });
  }
  const model = benchmarks['model'] as ModelPathsResult | undefined;
  if (model) {
    out.push({
      name: 'model suite: path generation (test/model generatePaths)',
      value: `${n(model.paths)} paths (${Object.entries(model.byKind)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}) in ${spread(model.generationMs, ' ms')}`,
      baseline: '',
      ratio: null,
      ratioSpread: '',
      target: '',
      pass: null,
    });
  }
  out.push({
    name: 'whole `npm run bench`',
    value: `${n(seconds)} s`,
    baseline: '',
    ratio: null,
    ratioSpread: '',
    target: quick ? '' : '< 300 s',
    pass: quick ? null : seconds < 300,
  });
  return out;
}
