/**
 * Shutdown on SIGTERM: a process embedding the library, holding sessions with turns in flight at
 * the emulator (a slow agent holds the sync ones, a stalled stream the streamed ones), gets
 * SIGTERM, ends every session with `client.shutdown({ deadlineMs })` from its signal handler, and
 * exits by itself with code 0 within the deadline. The emulator shows a DELETE with the reason for
 * every session.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { inform, startFakeAgentApi, type FakeAgentApi } from '../../src/fake-server/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/embedder.ts', import.meta.url));

interface Line {
  event: string;
  [key: string]: unknown;
}

/** The embedding process, its JSON lines, and its exit. */
function embed(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  let stderr = '';
  let buffered = '';
  const waiters: { event: string; resolve: (l: Line) => void }[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = JSON.parse(buffered.slice(0, nl)) as Line;
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.filter((x) => x.event === line.event)) w.resolve(line);
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    (resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return {
    child,
    lines,
    exited,
    stderr: () => stderr,
    line: (event: string, timeoutMs = 30_000) =>
      new Promise<Line>((resolve, reject) => {
        const found = lines.find((l) => l.event === event);
        if (found) return resolve(found);
        const timer = setTimeout(
          () => reject(new Error(`no "${event}" line within ${timeoutMs} ms; stderr: ${stderr}`)),
          timeoutMs,
        );
        waiters.push({
          event,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      }),
  };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('SIGTERM in a process that embeds the library', () => {
  let api: FakeAgentApi | undefined;
  let release: () => void = () => undefined;
  let running: ChildProcess | undefined;

  afterEach(async () => {
    release();
    if (running && running.exitCode === null && running.signalCode === null)
      running.kill('SIGKILL');
    await api?.close();
  });

  /** An emulator whose agent holds every "hold" message until released. */
  async function emulator(): Promise<FakeAgentApi> {
    const gate = new Promise<void>((resolve) => (release = resolve));
    api = await startFakeAgentApi({
      anyAgentId: true,
      streamChunkDelayMs: 0,
      agent: async (turn) => {
        if (turn.text.includes('hold')) await gate;
        return [inform(`You said: "${turn.text}".`)];
      },
    });
    return api;
  }

  it('ends every session with a DELETE and its reason, and exits 0 within the deadline', async () => {
    const emu = await emulator();
    const sessions = 6;
    const deadlineMs = 3_000;
    emu.faults.next('stream', { stall: true, afterEvents: 1 }, { times: sessions / 2 });
    const p = embed({
      EMULATOR_URL: emu.url,
      SESSIONS: String(sessions),
      DEADLINE_MS: String(deadlineMs),
      REASON: 'Transfer',
    });
    running = p.child;
    const ready = await p.line('ready');
    const ids = ready['sessions'] as string[];
    expect(ids).toHaveLength(sessions);
    // Every turn is in flight at the emulator: the session is locked by its request.
    await until(() => emu.sessions().filter((s) => s.inFlight).length === sessions);

    const sentAt = Date.now();
    p.child.kill('SIGTERM');
    const exit = await p.exited;
    expect(exit, p.stderr()).toEqual(expect.objectContaining({ code: 0, signal: null }));
    expect(exit.at - sentAt, 'the process exited within the deadline').toBeLessThan(deadlineMs);

    const shutdown = await p.line('shutdown', 0);
    expect(shutdown).toMatchObject({ ended: sessions, failed: [] });
    const outcomes = (await p.line('outcomes', 0))['outcomes'] as string[];
    expect(outcomes.sort()).toEqual(Array(sessions).fill('session_closed'));

    for (const id of ids) {
      const deletes = emu.requests.filter((r) => r.route === 'end' && r.sessionId === id);
      expect(deletes.length, id).toBeGreaterThan(0);
      for (const d of deletes) expect(d.headers['x-session-end-reason']).toBe('Transfer');
      expect(deletes.some((d) => d.status === 200)).toBe(true);
    }
    const after = emu.sessions().filter((s) => ids.includes(s.sessionId));
    expect(after.map((s) => [s.status, s.endedBy, s.endReason])).toEqual(
      Array(sessions).fill(['ended', 'client', 'Transfer']),
    );
  }, 60_000);

  it('stops at the deadline when the DELETEs do not come back, and still exits 0 in time', async () => {
    const emu = await emulator();
    const sessions = 4;
    const deadlineMs = 1_000;
    emu.faults.next('stream', { stall: true, afterEvents: 1 }, { times: sessions / 2 });
    // Every DELETE is held far past the deadline (the emulator ends the session, then waits).
    emu.faults.next('end', { delayMs: 30_000 }, { times: 100 });
    const p = embed({
      EMULATOR_URL: emu.url,
      SESSIONS: String(sessions),
      DEADLINE_MS: String(deadlineMs),
    });
    running = p.child;
    await p.line('ready');
    await until(() => emu.sessions().filter((s) => s.inFlight).length === sessions);

    const sentAt = Date.now();
    p.child.kill('SIGTERM');
    const exit = await p.exited;
    expect(exit, p.stderr()).toEqual(expect.objectContaining({ code: 0, signal: null }));
    expect(exit.at - sentAt).toBeLessThan(deadlineMs + 1_500);
    const shutdown = await p.line('shutdown', 0);
    expect(shutdown['ended']).toBe(0);
    expect(shutdown['failed']).toHaveLength(sessions);
    for (const f of shutdown['failed'] as { code: string }[]) expect(f.code).toBe('timeout');
    expect(shutdown['ms'] as number).toBeGreaterThanOrEqual(deadlineMs - 50);
    const outcomes = (await p.line('outcomes', 0))['outcomes'] as string[];
    expect(outcomes).toEqual(Array(sessions).fill('session_closed'));
    // Each DELETE reached the emulator, with the default reason of shutdown().
    await until(() => emu.requests.filter((r) => r.route === 'end').length >= sessions);
    for (const r of emu.requests.filter((q) => q.route === 'end')) {
      expect(r.headers['x-session-end-reason']).toBe('Other');
    }
  }, 60_000);
});
