/**
 * The emulator the soak talks to, behind one interface: a child process (`agentforce-session
 * fake-server`, driven through its `/__emulator/` control API) or an emulator in this process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type {
  FakeAgentApi,
  FakeAgentApiStats,
  RandomFaultOptions,
  RecordedRequest,
  SessionInfo,
} from '../../src/fake-server/index.js';

/** What the soak needs from an emulator, wherever it runs. */
export interface SoakEmulator {
  /** The My Domain URL (token endpoint) and Agent API host. */
  readonly url: string;
  /** Where it runs: `child process (pid N)` or `in process`. */
  readonly where: string;
  randomFaults(options: RandomFaultOptions): Promise<void>;
  clearFaults(): Promise<void>;
  faultsInjected(): Promise<Record<string, number>>;
  sessions(): Promise<SessionInfo[]>;
  requests(): Promise<RecordedRequest[]>;
  stats(): Promise<FakeAgentApiStats>;
  advanceClock(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** The emulator settings the soak chooses. */
export interface EmulatorSettings {
  sessionTtlMs: number;
  tokenTtlMs: number;
  streamChunkDelayMs: number;
  clientId: string;
  clientSecret: string;
}

/** Wraps an emulator started in this process (`startFakeAgentApi`). */
export function inProcessEmulator(api: FakeAgentApi): SoakEmulator {
  return {
    url: api.url,
    where: 'in process',
    randomFaults: (options) => Promise.resolve(api.faults.random(options)),
    clearFaults: () => Promise.resolve(api.faults.clear()),
    faultsInjected: () => Promise.resolve({ ...api.faults.injected }),
    sessions: () => Promise.resolve(api.sessions()),
    requests: () => Promise.resolve([...api.requests]),
    stats: () => Promise.resolve(api.stats),
    advanceClock: (ms) => Promise.resolve(void api.clock.advance(ms)),
    close: () => api.close(),
  };
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** Reads the first line of a stream, or fails after `timeoutMs`. */
async function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  const out = child.stdout;
  if (!out) throw new Error('the emulator process has no stdout');
  out.setEncoding('utf8');
  let buffered = '';
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => (stderr += d));
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`the emulator did not start within ${timeoutMs} ms: ${stderr.trim()}`));
    }, timeoutMs);
    const onData = (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      cleanup();
      resolve(buffered.slice(0, nl).trim());
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`the emulator exited (code ${String(code)}) before listening: ${stderr}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      out.off('data', onData);
      child.off('exit', onExit);
    };
    out.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * Runs `agentforce-session fake-server --port 0` (from source, through tsx) in a child process
 * and drives it through its control API. The client credentials go through the environment, as
 * the command wants.
 */
export async function spawnEmulator(settings: EmulatorSettings): Promise<SoakEmulator> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI,
      'fake-server',
      '--port',
      '0',
      '--any-agent-id',
      '--session-ttl',
      String(settings.sessionTtlMs),
      '--token-ttl',
      String(settings.tokenTtlMs),
      '--stream-chunk-delay',
      String(settings.streamChunkDelayMs),
    ],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        FAKE_SERVER_CLIENT_ID: settings.clientId,
        FAKE_SERVER_CLIENT_SECRET: settings.clientSecret,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let line: string;
  try {
    line = await firstLine(child, 20_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const match = /^listening on (http:\/\/\S+)$/.exec(line);
  if (!match?.[1]) {
    child.kill('SIGKILL');
    throw new Error(`unexpected first line from the emulator: ${line}`);
  }
  const url = match[1];
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/__emulator/${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator control ${method} ${path}: ${res.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  let closing: Promise<void> | undefined;
  return {
    url,
    where: `child process (pid ${String(child.pid)})`,
    randomFaults: async (options) => {
      await control('POST', 'faults/random', options);
    },
    clearFaults: async () => {
      await control('DELETE', 'faults');
    },
    faultsInjected: async () =>
      (await control<{ injected: Record<string, number> }>('GET', 'faults')).injected,
    sessions: async () => (await control<{ sessions: SessionInfo[] }>('GET', 'sessions')).sessions,
    requests: async () =>
      (await control<{ requests: RecordedRequest[] }>('GET', 'requests')).requests,
    stats: () => control<FakeAgentApiStats>('GET', 'stats'),
    advanceClock: async (ms) => {
      await control('POST', 'clock/advance', { ms });
    },
    close: () => {
      closing ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}
