/**
 * SIGINT and SIGTERM at every phase of every command that holds a session: starting, in a turn,
 * idle. Each run must exit within a few seconds with 130 or 143, having ended the server session
 * (`chat`, `start`, `replay`) or stored it (`send`). The CLI runs as a process against an emulator
 * started here; a fault delays the request of the phase under test.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, RunningCli, until } from './helpers.js';
import { useEmulatorOrg } from './org.js';

const SECRET = 'signals-test-secret-3d5e7a';
const CLIENT_ID = 'signals-test-client';
const AGENT_ID = '0XxSIGNALS0000001A';

const org = useEmulatorOrg({ clientId: CLIENT_ID, clientSecret: SECRET });
const orgEnv = () => org.env(AGENT_ID);

const CODE = { SIGINT: 130, SIGTERM: 143 } as const;
type Signal = keyof typeof CODE;

/** Signals the CLI and waits for it to exit; the exit must come within `withinMs`. */
async function interrupt(cli: RunningCli, signal: Signal, withinMs = 4000) {
  const sentAt = Date.now();
  cli.child.kill(signal);
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), 15_000);
  const exit = await cli.exited;
  clearTimeout(timer);
  const ms = Date.now() - sentAt;
  expect(exit.signal, `killed: stderr was\n${cli.stderr}`).toBeNull();
  expect(ms, `exited ${ms} ms after ${signal}`).toBeLessThan(withinMs);
  return exit.code;
}

describe('chat from a pipe', { timeout: 60_000 }, () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s while the session starts: exits, and the session it opened is ended',
    async (signal) => {
      org.api.faults.next('start', { delayMs: 1500 });
      const cli = new RunningCli(['chat', '--json'], orgEnv());
      // stdin stays open: a cancelled CI job does not close it.
      await until('the start request', () => org.api.requests.some((r) => r.route === 'start'));
      expect(await interrupt(cli, signal)).toBe(CODE[signal]);
      expect(org.api.sessions()).toEqual([
        expect.objectContaining({ status: 'ended', endReason: 'UserRequest' }),
      ]);
    },
  );

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s in a turn: exits, the session is ended',
    async (signal) => {
      const cli = new RunningCli(['chat', '--json'], orgEnv());
      await cli.waitFor(/"type":"started"/);
      org.api.faults.next('send', { delayMs: 2000 });
      cli.child.stdin.write('hi\n');
      await until('the message', () => org.requestsTo('send') === 1);
      expect(await interrupt(cli, signal)).toBe(CODE[signal]);
      expect(org.api.sessions()[0]).toMatchObject({ status: 'ended', endReason: 'UserRequest' });
    },
  );

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s while idle (stdin open, no input): exits, the session is ended',
    async (signal) => {
      const cli = new RunningCli(['chat'], orgEnv());
      await cli.waitFor(/How can I help you\?/);
      expect(await interrupt(cli, signal)).toBe(CODE[signal]);
      expect(cli.stderr).toContain(`${signal}: ending the session`);
      expect(org.api.sessions()[0]).toMatchObject({ status: 'ended', endReason: 'UserRequest' });
    },
  );
});

describe('start, send, end, replay', { timeout: 60_000 }, () => {
  const storeDir = () => join(org.home, '.agentforce-session', 'sessions');
  const handles = () =>
    existsSync(storeDir()) ? readdirSync(storeDir()).filter((f) => f.endsWith('.json')) : [];

  async function started(): Promise<string> {
    const r = await runCli(['start', '--my-domain', org.api.url], { env: orgEnv() });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  }

  it('start: SIGTERM while starting ends the session and stores no handle', async () => {
    org.api.faults.next('start', { delayMs: 1500 });
    const cli = new RunningCli(['start'], orgEnv());
    await until('the start request', () => org.requestsTo('start') === 1);
    expect(await interrupt(cli, 'SIGTERM')).toBe(143);
    expect(cli.stdout).toBe('');
    expect(org.api.sessions()[0]).toMatchObject({ status: 'ended', endReason: 'UserRequest' });
    expect(handles()).toEqual([]);
  });

  it('send: SIGINT in a turn cancels the message and keeps the session stored', async () => {
    const handle = await started();
    org.api.faults.next('send', { delayMs: 3000 });
    const cli = new RunningCli(['send', '--session', handle, 'hello'], orgEnv());
    await until('the message', () => org.requestsTo('send') === 1);
    expect(await interrupt(cli, 'SIGINT')).toBe(130);
    expect(cli.stderr).toMatch(/SIGINT: the message is cancelled; the session is kept/);
    // Stored after the cancel: no lock left, the sequence counter moved on, the session open.
    expect(readdirSync(storeDir()).filter((f) => f.endsWith('.lock'))).toEqual([]);
    const stored = JSON.parse(readFileSync(join(storeDir(), `${handle}.json`), 'utf8')) as {
      state: string;
    };
    expect(stored.state).toBe('awaitingInput');
    const next = await runCli(['send', '--session', handle, '--json', 'again'], { env: orgEnv() });
    expect(next.code, next.stderr).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({ sequenceId: 2 });
  });

  it('end: SIGTERM during the DELETE lets it finish, then exits 143', async () => {
    const handle = await started();
    org.api.faults.next('end', { delayMs: 1500 });
    const cli = new RunningCli(['end', '--session', handle], orgEnv());
    await until('the end request', () => org.requestsTo('end') === 1);
    expect(await interrupt(cli, 'SIGTERM')).toBe(143);
    expect(org.api.sessions()[0]).toMatchObject({ status: 'ended' });
    expect(handles()).toEqual([]);
  });

  it('replay: SIGINT in a turn ends the session and exits 130', async () => {
    const transcript = join(org.home, 'golden.jsonl');
    const rec = await runCli(['chat', '--transcript', transcript], {
      env: orgEnv(),
      input: 'one\ntwo\n',
    });
    expect(rec.code, rec.stderr).toBe(0);
    org.api.faults.next('send', { delayMs: 3000 });
    const cli = new RunningCli(['replay', transcript], orgEnv());
    await until('the replayed message', () => org.requestsTo('send') === 3);
    expect(await interrupt(cli, 'SIGINT')).toBe(130);
    expect(org.api.sessions()[1]).toMatchObject({ status: 'ended', endReason: 'UserRequest' });
  });
});
