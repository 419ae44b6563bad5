/**
 * The scriptable verbs (`start`, `send`, `end`, `sessions`): one conversation across several
 * processes through the local store, against an emulator started here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from './helpers.js';
import { useEmulatorOrg } from './org.js';

const SECRET = 'verbs-test-secret-51c0d2e8a4';
const CLIENT_ID = 'verbs-test-client';

const org = useEmulatorOrg({ clientId: CLIENT_ID, clientSecret: SECRET });
// Credentials from the environment; where to talk to from a flag (start) or the store (the rest).
const env = () => cleanEnv(org.home, { SF_CLIENT_ID: CLIENT_ID, SF_CLIENT_SECRET: SECRET });

const storeDir = () => join(org.home, '.agentforce-session', 'sessions');

async function start(): Promise<string> {
  const r = await runCli(['start', '--my-domain', org.api.url], { env: env() });
  expect(r.code, r.stderr).toBe(0);
  const handle = r.stdout.trim();
  expect(handle).toMatch(/^[a-z0-9]{10}$/);
  expect(r.stderr).toContain("Hi, I'm the Agentforce emulator");
  return handle;
}

function json(stdout: string): Record<string, unknown> {
  const lines = stdout.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

describe('start, send, sessions, end', { timeout: 60_000 }, () => {
  it('holds one conversation across processes, answers a question, and ends it', async () => {
    const handle = await start();
    const first = await runCli(['send', '--session', handle, 'where', 'is', 'my', 'order?'], {
      env: env(),
    });
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('Sure, I can look that up. What is your order number?\n');

    const second = await runCli(['send', '--session', handle, '--json', 'the blue one'], {
      env: env(),
    });
    expect(second.code).toBe(0);
    const reply = json(second.stdout);
    expect(reply).toMatchObject({ handle, sequenceId: 2, state: 'awaitingInput', question: null });
    expect(reply['text']).toMatch(/^Order the blue one has shipped/);

    const list = await runCli(['sessions', '--json'], { env: env() });
    const listed = json(list.stdout)['sessions'] as Array<Record<string, unknown>>;
    expect(listed).toEqual([
      expect.objectContaining({
        handle,
        state: 'awaitingInput',
        turns: 2,
        myDomainUrl: org.api.url,
      }),
    ]);

    // The store holds neither the secret nor a token.
    const stored = readFileSync(join(storeDir(), `${handle}.json`), 'utf8');
    expect(stored).not.toContain(SECRET);
    expect(stored).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);

    const end = await runCli(['end', '--session', handle], { env: env() });
    expect(end.code).toBe(0);
    const [session] = org.api.sessions();
    expect(session).toMatchObject({
      status: 'ended',
      endedBy: 'client',
      endReason: 'UserRequest',
      sequenceIds: [1, 2],
    });
    expect(readdirSync(storeDir()).filter((f) => f.endsWith('.json'))).toEqual([]);

    const gone = await runCli(['send', '--session', handle, 'hi'], { env: env() });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain(`no session ${handle}`);
  });

  it('replaces a session that expired between two processes and sends the message again', async () => {
    const handle = await start();
    const [before] = org.api.sessions();
    org.api.expireSession(before!.sessionId);
    const r = await runCli(['send', '--session', handle, '--json', 'still there?'], { env: env() });
    expect(r.code).toBe(0);
    const reply = json(r.stdout);
    expect(reply['restarts']).toEqual([
      { previousSessionId: before!.sessionId, sessionId: reply['sessionId'] },
    ]);
    expect(reply['text']).toContain('You said: "still there?"');
    const list = json((await runCli(['sessions', '--json'], { env: env() })).stdout);
    expect(list['sessions']).toEqual([
      expect.objectContaining({ handle, sessionId: reply['sessionId'] }),
    ]);
  });

  it('two concurrent sends on one handle take turns', async () => {
    const handle = await start();
    const [a, b] = await Promise.all([
      runCli(['send', '--session', handle, '--json', 'first message'], { env: env() }),
      runCli(['send', '--session', handle, '--json', 'second message'], { env: env() }),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const seqs = [json(a.stdout)['sequenceId'], json(b.stdout)['sequenceId']].sort();
    expect(seqs).toEqual([1, 2]);
    const [session] = org.api.sessions();
    expect(session!.sequenceIds).toEqual([1, 2]);
    expect(org.api.requests.filter((r) => r.status === 423)).toEqual([]);
    const list = json((await runCli(['sessions', '--json'], { env: env() })).stdout);
    expect(list['sessions']).toEqual([expect.objectContaining({ handle, turns: 2 })]);
  });

  it('a session the server ended: send exits 5, end forgets it', async () => {
    const handle = await start();
    const bye = await runCli(['send', '--session', handle, 'goodbye'], { env: env() });
    expect(bye.code).toBe(0);
    expect(bye.stderr).toContain('the agent ended the session (Action)');
    const after = await runCli(['send', '--session', handle, '--json', 'hello?'], { env: env() });
    expect(after.code).toBe(5);
    expect(json(after.stdout)).toMatchObject({ handle, state: 'closed' });
    expect((await runCli(['sessions', '--json'], { env: env() })).stdout).toContain(
      '"sessions":[]',
    );
    const end = await runCli(['end', '--session', handle, '--json'], { env: env() });
    expect(end.code).toBe(0);
    expect(json(end.stdout)).toEqual({
      ended: [expect.objectContaining({ handle, result: 'already-closed' })],
      failed: [],
    });
  });

  it('end --all reports the sessions it could not end and keeps them', async () => {
    const one = await start();
    const two = await start();
    const [s1] = org.api.sessions().filter((s) => s.status === 'open');
    // Every DELETE of the first session fails (the library retries a DELETE).
    org.api.faults.next('end', { status: 500 }, { times: 10, sessionId: s1!.sessionId });
    const r = await runCli(['end', '--all', '--json'], { env: env() });
    expect(r.code).toBe(1);
    const report = json(r.stdout) as {
      ended: Array<{ handle: string }>;
      failed: Array<{ handle: string; error: { code: string } }>;
    };
    expect(report.ended.map((e) => e.handle)).toEqual([two]);
    expect(report.failed).toEqual([
      expect.objectContaining({
        handle: one,
        error: expect.objectContaining({ code: 'server_error' }),
      }),
    ]);
    const list = json((await runCli(['sessions', '--json'], { env: env() })).stdout);
    expect(list['sessions']).toEqual([expect.objectContaining({ handle: one })]);
  });

  it('end of a handle whose server is gone removes it, says why, and exits 1', async () => {
    const gone = await start();
    const kept = await start();
    const goneSession = org.api.sessions()[0]!.sessionId;
    await org.api.close(); // nothing listens there any more: connection refused
    const human = await runCli(['end', '--session', gone], { env: env() });
    expect(human.code).toBe(1);
    expect(human.stderr).toContain(
      `${gone}: the server session ${goneSession} could not be ended (connection: token request failed: connection error ECONNREFUSED`,
    );
    expect(human.stderr).toMatch(/the handle is removed since its server is gone/);
    const r = await runCli(['end', '--session', kept, '--json'], { env: env() });
    expect(r.code).toBe(1);
    expect(json(r.stdout)).toEqual({
      ended: [],
      failed: [
        expect.objectContaining({
          handle: kept,
          removed: true,
          error: expect.objectContaining({ code: 'connection' }),
        }),
      ],
    });
    const list = json((await runCli(['sessions', '--json'], { env: env() })).stdout);
    expect(list['sessions']).toEqual([]);
  });

  it('send says a question is pending, and --skip-question sends a new message instead of the answer', async () => {
    const handle = await start();
    const asked = await runCli(['send', '--session', handle, 'cancel my order'], { env: env() });
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toContain('Do you want me to cancel order 00012345?');
    expect(asked.stderr).toMatch(
      /the agent asks a question \(Confirm\): the next send answers it; add --skip-question/,
    );
    const skipped = await runCli(
      ['send', '--session', handle, '--skip-question', 'I want a human'],
      { env: env() },
    );
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stdout).toContain("I'm transferring you to a human agent.");
    const sent = org.api.requests.filter((q) => q.route === 'send').at(-1)!.body as {
      message: { text: string; inReplyToMessageId?: string };
    };
    expect(sent.message).toMatchObject({ text: 'I want a human' });
    expect(sent.message.inReplyToMessageId).toBeUndefined();
    // Without the flag, the same words answer the question (the emulator reads them as "no").
    await runCli(['send', '--session', handle, 'cancel my order'], { env: env() });
    const answered = await runCli(['send', '--session', handle, 'I want a human'], { env: env() });
    expect(answered.stdout).toContain("Okay, I won't cancel anything.");
  });

  it('end --forget removes a handle whose session could not be ended for another reason', async () => {
    const handle = await start();
    org.api.faults.next('end', { status: 500 }, { times: 10 });
    const r = await runCli(['end', '--session', handle, '--forget'], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /could not be ended \(server_error: .*\); the handle is removed as --forget asks/,
    );
    expect(json((await runCli(['sessions', '--json'], { env: env() })).stdout)['sessions']).toEqual(
      [],
    );
  });
});

describe('verbs, usage errors', { timeout: 60_000 }, () => {
  it('exit 2 without a target, without a handle, or with a bad one', async () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['start without a target', ['start'], /needs a running Agent API.*fake-server/s],
      ['send without --session', ['send', 'hi'], /--session/],
      ['a handle that is a path', ['send', '--session', '../x', 'hi'], /not a session handle/],
      ['end without --session or --all', ['end'], /--session HANDLE or --all/],
      ['end with both', ['end', '--all', '--session', 'abcdefghij'], /one of them/],
    ];
    const results = await Promise.all(cases.map(([, args]) => runCli(args, { env: env() })));
    results.forEach((r, i) => {
      const [name, , message] = cases[i]!;
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toMatch(message);
    });
    expect(org.api.requests).toHaveLength(0);
  });
});
