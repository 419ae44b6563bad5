/**
 * Sync-send throughput of the emulator, against a bare `node:http` server answering the same
 * JSON, measured in the same run with autocannon. Each server runs in its own child process; the
 * load generator runs here. In each run both servers start, get a warm-up, then alternate short
 * measuring windows (so that load from elsewhere on the machine hits both alike); the report
 * gives per-run figures, medians and the emulator/bare ratio (target: at least 0.6).
 *
 *   npx tsx bench/emulator-throughput.ts [--runs 5] [--windows 3] [--duration 3] [--connections 16] [--sessions 256]
 *
 * `--duration` is the length of one window in seconds.
 *
 * The emulator is measured as a client meets it: a Bearer token checked on every request, the
 * request body validated, the default agent answering, the request recorded. Requests cycle over
 * many sessions so that no two are in flight on one session (which would be a 423).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { apiPaths } from '../src/api/index.js';
import { messageRequest, rawSessions } from './lib/wire.js';

interface Histogram {
  average: number;
  p50: number;
  p99: number;
}

interface AutocannonResult {
  requests: Histogram;
  latency: Histogram;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  statusCodeStats: Record<string, { count: number }>;
}

interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest) => AutocannonRequest;
}

type Autocannon = (opts: {
  url: string;
  connections: number;
  pipelining: number;
  duration: number;
  requests: AutocannonRequest[];
}) => Promise<AutocannonResult>;

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as Autocannon;

const AGENT_ID = '0Xx000000000001AAA';
const TEXT = 'What is the status of my request?';

/** A reply shaped like the emulator's answer to {@link TEXT}, for the bare server. */
function sampleReply(base: string): string {
  const sid = randomUUID();
  const planId = randomUUID();
  const links = {
    self: null,
    messages: { href: base + apiPaths.messages(sid) },
    messagesStream: { href: base + apiPaths.messagesStream(sid) },
    session: { href: base + apiPaths.startSession(AGENT_ID) },
    end: { href: base + apiPaths.session(sid) },
  };
  return JSON.stringify({
    messages: [
      {
        type: 'Inform',
        id: randomUUID(),
        feedbackId: planId,
        planId,
        isContentSafe: true,
        message: `You said: "${TEXT}". This is the Agentforce emulator's answer.`,
        result: [],
        citedReferences: [],
      },
    ],
    _links: links,
  });
}

// ---------------------------------------------------------------- child processes

async function serveEmulator(): Promise<void> {
  const { startFakeAgentApi } = await import('../src/fake-server/index.js');
  const api = await startFakeAgentApi({ anyAgentId: true, streamChunkDelayMs: 0, latencyMs: 0 });
  process.stdout.write(`READY ${api.url}\n`);
  process.once('SIGTERM', () => void api.close().then(() => process.exit(0)));
}

function serveBare(): void {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, {
        'content-type': 'application/json;charset=UTF-8',
        'content-length': Buffer.byteLength(body),
        'x-request-id': randomUUID(),
      });
      res.end(body);
    });
  });
  let body = '';
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    body = sampleReply(url);
    process.stdout.write(`READY ${url}\n`);
  });
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}

// ---------------------------------------------------------------- parent

interface Server {
  child: ChildProcess;
  url: string;
}

function startChild(kind: 'emulator' | 'bare'): Promise<Server> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', self, '--serve', kind], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const m = /^READY (\S+)$/.exec(line);
      if (m?.[1]) resolve({ child, url: m[1] });
      else reject(new Error(`${kind}: unexpected line ${line}`));
    });
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${String(code)}`)));
  });
}

function stopChild(s: Server): Promise<void> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null) return resolve();
    s.child.once('exit', () => resolve());
    s.child.kill('SIGTERM');
  });
}

interface Measure {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(
  url: string,
  headers: Record<string, string>,
  ids: readonly string[],
  opts: { duration: number; connections: number },
): Promise<Measure> {
  const request: AutocannonRequest = messageRequest(headers, ids, TEXT);
  const result = await autocannon({
    url,
    connections: opts.connections,
    pipelining: 1,
    duration: opts.duration,
    requests: [request],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function measure(args: {
  runs: number;
  duration: number;
  connections: number;
  sessions: number;
  windows: number;
}): Promise<void> {
  const emulator: Measure[] = [];
  const bare: Measure[] = [];
  const ratios: number[] = [];
  const warmup = Math.max(1, Math.round(args.duration / 2));
  for (let run = 1; run <= args.runs; run++) {
    // Both servers up at once; the idle one costs nothing. Short windows alternate between them
    // so that load from elsewhere on the machine hits both alike.
    const [emu, raw] = await Promise.all([startChild('emulator'), startChild('bare')]);
    try {
      const e = await rawSessions(emu.url, args.sessions);
      const b = {
        headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
        ids: Array.from({ length: args.sessions }, () => randomUUID()),
      };
      const targets = {
        emulator: () => load(emu.url, e.headers, e.ids, args),
        bare: () => load(raw.url, b.headers, b.ids, args),
      };
      await load(emu.url, e.headers, e.ids, { ...args, duration: warmup });
      await load(raw.url, b.headers, b.ids, { ...args, duration: warmup });
      const got: Record<'emulator' | 'bare', Measure[]> = { emulator: [], bare: [] };
      for (let w = 0; w < args.windows; w++) {
        const order: ('emulator' | 'bare')[] =
          (run + w) % 2 === 1 ? ['emulator', 'bare'] : ['bare', 'emulator'];
        for (const kind of order) got[kind].push(await targets[kind]());
      }
      const combine = (ms: Measure[]): Measure => ({
        rps: ms.reduce((a, m) => a + m.rps, 0) / ms.length,
        p50: median(ms.map((m) => m.p50)),
        p99: median(ms.map((m) => m.p99)),
        non2xx: ms.reduce((a, m) => a + m.non2xx, 0),
        errors: ms.reduce((a, m) => a + m.errors, 0),
      });
      const em = combine(got.emulator);
      const bm = combine(got.bare);
      emulator.push(em);
      bare.push(bm);
      ratios.push(em.rps / bm.rps);
      process.stdout.write(
        `run ${run}: emulator ${em.rps.toFixed(0)} req/s (p50 ${em.p50} ms, p99 ${em.p99} ms, non2xx ${em.non2xx}, errors ${em.errors}) | ` +
          `bare ${bm.rps.toFixed(0)} req/s (p50 ${bm.p50} ms, p99 ${bm.p99} ms) | ratio ${(em.rps / bm.rps).toFixed(2)}\n`,
      );
    } finally {
      await Promise.all([stopChild(emu), stopChild(raw)]);
    }
  }
  const summary = {
    runs: args.runs,
    windowsPerRun: args.windows,
    windowSeconds: args.duration,
    connections: args.connections,
    sessions: args.sessions,
    emulatorMedianRps: Math.round(median(emulator.map((m) => m.rps))),
    bareMedianRps: Math.round(median(bare.map((m) => m.rps))),
    medianRatio: Number(median(ratios).toFixed(3)),
    emulatorMedianP50Ms: median(emulator.map((m) => m.p50)),
    bareMedianP50Ms: median(bare.map((m) => m.p50)),
    emulatorNon2xx: emulator.reduce((a, m) => a + m.non2xx, 0),
    emulatorErrors: emulator.reduce((a, m) => a + m.errors, 0),
    target: 0.6,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (summary.medianRatio < summary.target) process.exitCode = 1;
}

const { values } = parseArgs({
  options: {
    serve: { type: 'string' },
    runs: { type: 'string', default: '5' },
    duration: { type: 'string', default: '3' },
    windows: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    sessions: { type: 'string', default: '256' },
  },
});

if (values.serve === 'emulator') await serveEmulator();
else if (values.serve === 'bare') serveBare();
else {
  await measure({
    runs: Number(values.runs),
    duration: Number(values.duration),
    connections: Number(values.connections),
    sessions: Number(values.sessions),
    windows: Number(values.windows),
  });
}
