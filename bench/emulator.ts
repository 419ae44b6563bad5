/**
 * Emulator throughput: runs `bench/emulator-throughput.ts` (sync sends to the emulator and to a
 * bare `node:http` server answering the same JSON, autocannon, both in their own processes,
 * alternating windows) and reads its summary.
 */
import { spawn } from 'node:child_process';
import { ROOT, TSX, childArgs, printResult, progress } from './lib/process.js';

export interface EmulatorArgs {
  runs: number;
  windows: number;
  /** Seconds per window. */
  duration: number;
  connections: number;
  sessions: number;
}

export interface EmulatorResult {
  runs: number;
  windowsPerRun: number;
  windowSeconds: number;
  connections: number;
  sessions: number;
  emulatorMedianRps: number;
  bareMedianRps: number;
  medianRatio: number;
  emulatorMedianP50Ms: number;
  bareMedianP50Ms: number;
  emulatorNon2xx: number;
  emulatorErrors: number;
  /** The per-run lines the script printed. */
  runLines: string[];
}

export function runEmulator(args: EmulatorArgs): Promise<EmulatorResult> {
  const child = spawn(
    process.execPath,
    [
      ...TSX,
      'bench/emulator-throughput.ts',
      '--runs',
      String(args.runs),
      '--windows',
      String(args.windows),
      '--duration',
      String(args.duration),
      '--connections',
      String(args.connections),
      '--sessions',
      String(args.sessions),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    out += d;
    for (const line of d.split('\n')) if (line.startsWith('run ')) progress(`emulator ${line}`);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      // The summary is the last JSON object printed (the script exits 1 below its target).
      const start = out.lastIndexOf('\n{');
      try {
        const summary = JSON.parse(out.slice(start + 1)) as Omit<EmulatorResult, 'runLines'>;
        const runLines = out.split('\n').filter((l) => l.startsWith('run '));
        // A reply that is not a 2xx is cheaper to make than an answer: a ratio with any would
        // measure error replies, not the emulator.
        const failed = summary.emulatorNon2xx + summary.emulatorErrors;
        if (failed > 0) {
          reject(
            new Error(
              `the emulator answered ${failed} of its sends with an error: no ratio (check the sessions bench/emulator-throughput.ts starts)`,
            ),
          );
          return;
        }
        resolve({ ...summary, runLines });
      } catch {
        reject(new Error(`bench/emulator-throughput.ts exited ${code} without a summary`));
      }
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printResult(await runEmulator(childArgs<EmulatorArgs>()));
}
