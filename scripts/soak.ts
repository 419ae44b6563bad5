/**
 * `npm run soak`: hundreds of concurrent conversations against the emulator (in a child process)
 * while it injects faults; prints a report, writes it as JSON, and exits 1 on any violation.
 * `--store redis --nodes N`: the scale-out mode (node processes on one Redis, node and Redis
 * faults). See docs/soak.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startFakeAgentApi } from '../src/fake-server/index.js';
import { inProcessEmulator, spawnEmulator, type SoakEmulator } from './soak/emulator.js';
import { parseSoakArgs, USAGE, UsageError, type SoakOptions } from './soak/options.js';
import { formatReport } from './soak/report.js';
import { checkHeap, runSoak } from './soak/run.js';
import { formatScaleOutReport, runScaleOut } from './soak/scale-out.js';

const CREDENTIALS = { clientId: 'soak-client', clientSecret: 'soak-client-secret' };

/** Makes `globalThis.gc` available even without `--expose-gc` on the command line. */
function exposeGc(): void {
  if (typeof (globalThis as { gc?: unknown }).gc === 'function') return;
  try {
    setFlagsFromString('--expose-gc');
    (globalThis as { gc?: unknown }).gc = runInNewContext('gc') as unknown;
  } catch {
    // No forced GC: the report says so and the heap check is skipped.
  }
}

async function startEmulator(options: SoakOptions): Promise<SoakEmulator> {
  if (options.inProcess) {
    return inProcessEmulator(
      await startFakeAgentApi({
        anyAgentId: true,
        sessionTtlMs: options.sessionTtlMs,
        tokenTtlMs: options.tokenTtlMs,
        streamChunkDelayMs: options.streamChunkDelayMs,
        maxRecordedRequests: 1_000_000,
        ...CREDENTIALS,
      }),
    );
  }
  return spawnEmulator({
    sessionTtlMs: options.sessionTtlMs,
    tokenTtlMs: options.tokenTtlMs,
    streamChunkDelayMs: options.streamChunkDelayMs,
    ...CREDENTIALS,
  });
}

function defaultReportPath(): string {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return resolve(root, 'bench', 'results', `soak-${stamp}.json`);
}

/** Writes the JSON report and returns its path. */
function writeReport(report: unknown, reportPath: string | undefined): string {
  const path = resolve(reportPath ?? defaultReportPath());
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(report, null, 2) + '\n');
  return path;
}

async function main(argv: readonly string[]): Promise<number> {
  let options: SoakOptions | undefined;
  try {
    options = parseSoakArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`soak: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = (line: string) => {
    if (!options.quiet) process.stderr.write(`${line}\n`);
  };
  if (options.store === 'redis') {
    const report = await runScaleOut(options, `npm run soak -- ${argv.join(' ')}`, log);
    const path = writeReport(report, options.reportPath);
    process.stdout.write(`${formatScaleOutReport(report)}\n\nreport: ${path}\n`);
    return report.ok ? 0 : 1;
  }
  exposeGc();
  const emulator = await startEmulator(options);
  log(`emulator ${emulator.where} at ${emulator.url}`);
  try {
    const report = await runSoak(options, emulator, CREDENTIALS, log);
    await checkHeap(report);
    const path = writeReport(report, options.reportPath);
    process.stdout.write(`${formatReport(report)}\n\nreport: ${path}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await emulator.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
