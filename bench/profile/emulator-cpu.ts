/**
 * Server CPU per sync send: the emulator and a bare `node:http` server answering the same JSON,
 * each in its own process (`bench/emulator-throughput.ts --serve`), loaded in turn by autocannon
 * from here, in alternating windows after a warm-up. CPU is read from `/proc/<pid>/stat` of the
 * server process, so it does not count the load generator; it still moves with the machine's load
 * (a busy server handles fewer requests per turn of its event loop), so compare the two servers of
 * one run. With `--prof`, the emulator runs under `--cpu-prof` (the profile is written to the
 * system's temporary directory when it stops).
 * `node --import tsx bench/profile/emulator-cpu.ts [windows] [seconds] [--prof]` (Linux).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { messageRequest, rawSessions } from '../lib/wire.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const windows = Number(args[0] ?? 4);
const seconds = Number(args[1] ?? 3);
const prof = process.argv.includes('--prof');
const TEXT = 'What is the status of my request?';
const SESSIONS = 64;
const TICKS = 100; // USER_HZ on Linux

type Autocannon = (opts: object) => Promise<{ requests: { total: number }; non2xx: number }>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface Server {
  child: ChildProcess;
  url: string;
}

function start(kind: 'emulator' | 'bare'): Promise<Server> {
  const script = fileURLToPath(new URL('../emulator-throughput.ts', import.meta.url));
  const flags = prof && kind === 'emulator' ? ['--cpu-prof', `--cpu-prof-dir=${tmpdir()}`] : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script, '--serve', kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => {
      const m = /^READY (\S+)$/.exec(line);
      if (m?.[1]) resolve({ child, url: m[1] });
      else reject(new Error(`${kind}: ${line}`));
    });
  });
}

/** CPU µs the process has used (user + system). */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS;
}

async function window(s: Server, headers: Record<string, string>, ids: string[], secs: number) {
  const before = cpuOf(s.child.pid!);
  const result = await autocannon({
    url: s.url,
    connections: 16,
    pipelining: 1,
    duration: secs,
    requests: [messageRequest(headers, ids, TEXT)],
  });
  if (result.non2xx > 0) throw new Error(`${result.non2xx} non-2xx answers`);
  return (cpuOf(s.child.pid!) - before) / result.requests.total;
}

const emu = await start('emulator');
const bare = await start('bare');
const e = await rawSessions(emu.url, SESSIONS);
const b = { headers: { 'content-type': 'application/json' }, ids: e.ids };
await window(emu, e.headers, e.ids, 6);
await window(bare, b.headers, b.ids, 6);
const got = { emulator: [] as number[], bare: [] as number[] };
for (let w = 0; w < windows; w++) {
  const order = w % 2 === 0 ? (['emulator', 'bare'] as const) : (['bare', 'emulator'] as const);
  for (const kind of order) {
    const s = kind === 'emulator' ? emu : bare;
    const h = kind === 'emulator' ? e : b;
    got[kind].push(await window(s, h.headers, h.ids, seconds));
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
const em = median(got.emulator);
const bm = median(got.bare);
console.log(
  `server CPU per sync send: emulator ${em.toFixed(0)} µs, bare ${bm.toFixed(0)} µs; ` +
    `bare/emulator ${(bm / em).toFixed(2)} (windows: emulator ${got.emulator.map((x) => x.toFixed(0)).join(' ')}; bare ${got.bare.map((x) => x.toFixed(0)).join(' ')})`,
);
for (const s of [emu, bare]) s.child.kill('SIGTERM');
