/**
 * Child processes of the benchmark: servers that print `listening on <url>` as their first stdout
 * line, and benchmark children that print their result as the last stdout line.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The project root (the folder holding `bench/`). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Node flags to run a TypeScript file of this project, with the library's own modules loaded from
 * the package as built (`dist/`, see `shipped.ts`): the figures are those of what ships.
 */
export const TSX = ['--import', 'tsx', '--import', './bench/lib/shipped.ts'];

/** Builds the package (`tsc -p tsconfig.build.json` into `dist/`) for the children to load. */
export function buildPackage(): void {
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

export interface ServerProcess {
  url: string;
  pid: number;
  close(): Promise<void>;
}

/** Starts `node <args>` and resolves once it printed `listening on <url>`. */
export function startServer(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 30 s: node ${args.join(' ')}\n${stderr}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(`server exited (${code}) before listening: node ${args.join(' ')}\n${stderr}`),
      );
    });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const match = /^listening on (\S+)/.exec(line);
      if (!match?.[1]) {
        child.kill('SIGKILL');
        reject(new Error(`unexpected first line from the server: ${line}`));
        return;
      }
      child.removeAllListeners('exit');
      resolve({ url: match[1], pid: child.pid!, close: () => stop(child) });
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The emulator as users run it: `agentforce-session fake-server --port 0`, plus `flags`. */
export function startEmulatorCli(flags: readonly string[] = []): Promise<ServerProcess> {
  return startServer([...TSX, 'src/cli/main.ts', 'fake-server', '--port', '0', ...flags]);
}

const RESULT_MARK = 'BENCH-RESULT ';

/** Prints a benchmark child's result for {@link runChild}. */
export function printResult(result: unknown): void {
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
}

/**
 * Runs `node [nodeFlags] --import tsx <file> <json args>` and returns the result it printed.
 * Lines other than the result go to this process's stderr as progress. Killed after `timeoutMs`.
 */
export function runChild<T>(
  file: string,
  args: unknown,
  nodeFlags: readonly string[] = [],
  timeoutMs = 240_000,
): Promise<T> {
  const child = spawn(process.execPath, [...nodeFlags, ...TSX, file, JSON.stringify(args)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let result: T | undefined;
  let found = false;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (line.startsWith(RESULT_MARK)) {
      result = JSON.parse(line.slice(RESULT_MARK.length)) as T;
      found = true;
    } else process.stderr.write(`  ${line}\n`);
  });
  // A benchmark that hangs must not hold up the others: it is killed and reported as failed.
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && found) resolve(result as T);
      else if (signal === 'SIGKILL')
        reject(new Error(`${file} was stopped after ${timeoutMs / 1000} s`));
      else reject(new Error(`${file} exited with ${code}${found ? '' : ' without a result'}`));
    });
  });
}

/** Reads the JSON argument a child was given. */
export function childArgs<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('expected a JSON argument');
  return JSON.parse(raw) as T;
}

/** Logs progress to stdout (the parent shows it indented). */
export function progress(message: string): void {
  process.stdout.write(`${message}\n`);
}
