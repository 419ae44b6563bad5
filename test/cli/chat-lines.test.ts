/**
 * `agentforce-session chat` with stdin not a terminal: one message per line, JSON lines or text
 * on stdout, exit codes. The CLI runs as a process, against the embedded emulator or an emulator
 * started here and passed through the environment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENDED, STARTED, TURN } from '../support/state-sequences.js';
import { cleanEnv, jsonLines, runCli, RunningCli, secretFile } from './helpers.js';
import { useEmulatorOrg } from './org.js';

const SECRET = 'cli-test-secret-7f3a9c1e5b';
const CLIENT_ID = 'cli-test-client';
const AGENT_ID = '0XxCLITEST0000001A';

const org = useEmulatorOrg({ clientId: CLIENT_ID, clientSecret: SECRET });

/** The environment of a CLI talking to this test's emulator as an org. */
const orgEnv = (extra?: Record<string, string>) => org.env(AGENT_ID, extra);

type Line = ReturnType<typeof jsonLines>[number];
const messagesOf = (lines: Line[]) =>
  lines
    .filter((l) => l.type === 'message')
    .map((l) => l['message'] as { type: string; message?: string });

describe('chat, line mode, embedded emulator', { timeout: 60_000 }, () => {
  it("printf 'hi\\nbye\\n' | chat --json: JSON lines only on stdout, exit 0", async () => {
    const r = await runCli(['chat', '--json'], { env: cleanEnv(org.home), input: 'hi\nbye\n' });
    expect(r.stderr).toMatch(/using the embedded emulator at http:\/\/127\.0\.0\.1:\d+/);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    for (const l of lines) expect(typeof l['at']).toBe('string');
    const types = lines.map((l) => l.type);
    expect(types[0]).toBe('state');
    expect(types).toContain('started');
    expect(lines.filter((l) => l.type === 'sent').map((l) => l['text'])).toEqual(['hi', 'bye']);
    const texts = messagesOf(lines).map((m) => m.message);
    expect(texts[0]).toMatch(/^Hi, I'm the Agentforce emulator/);
    expect(texts.slice(1)).toEqual([
      `You said: "hi". This is the Agentforce emulator's answer.`,
      `You said: "bye". This is the Agentforce emulator's answer.`,
    ]);
    const states = lines.filter((l) => l.type === 'state').map((l) => l['state']);
    expect(states).toEqual([...STARTED, ...TURN, ...TURN, ...ENDED]);
    const closed = lines.at(-1)!;
    expect(closed.type).toBe('closed');
    expect(closed['outcome']).toMatchObject({ reason: 'ended', endReason: 'UserRequest' });
  });

  it('prints the agent text per turn, skips empty lines and answers a question', async () => {
    const r = await runCli(['chat'], {
      env: cleanEnv(org.home),
      input: 'where is my order?\n\n   \nthe blue one\n',
    });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      "Hi, I'm the Agentforce emulator, an AI service assistant. How can I help you?",
      'Sure, I can look that up. What is your order number?',
      // Only an answer to the Inquire (inReplyToMessageId) makes the order number of "the blue one".
      'Order the blue one has shipped and should arrive in 2 business days. You said: "the blue one".',
    ]);
  });
});

describe('chat, line mode, an org from the environment', { timeout: 60_000 }, () => {
  it('talks to the org, ends the session with UserRequest and never shows the secret', async () => {
    const transcript = join(org.home, 'chat.jsonl');
    const r = await runCli(['chat', '--json', '--transcript', transcript], {
      env: orgEnv(),
      input: 'hello\nreturn policy\n',
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`using org ${org.api.url}`);
    const lines = jsonLines(r.stdout);
    const informs = messagesOf(lines).filter((m) => m.type === 'Inform');
    expect(informs.at(-1)!.message).toMatch(/^You can return any item within 30 days/);
    const text = readFileSync(transcript, 'utf8');
    for (const out of [r.stdout, r.stderr, text]) expect(out).not.toContain(SECRET);

    const records = jsonLines(text);
    expect(records.map((x) => x.type)).toEqual([
      'transcript',
      'greeting',
      'turn',
      'turn',
      'closed',
    ]);
    const turn = records[3]!;
    expect(turn).toMatchObject({ turn: 2, text: 'return policy', sequenceId: 2 });
    expect(turn['sessionId']).toBe(records[1]!['sessionId']);
    expect(Date.parse(turn['receivedAt'] as string)).toBeGreaterThanOrEqual(
      Date.parse(turn['sentAt'] as string),
    );
    expect(turn['ms']).toBeTypeOf('number');

    const [session] = org.api.sessions();
    expect(session).toMatchObject({
      agentId: AGENT_ID,
      status: 'ended',
      endedBy: 'client',
      endReason: 'UserRequest',
      sequenceIds: [1, 2],
    });
  });

  it('reads the secret from --client-secret-file', async () => {
    const file = secretFile(org.home, SECRET);
    const env = orgEnv();
    delete env['SF_CLIENT_SECRET'];
    const r = await runCli(['chat', '--client-secret-file', file], { env, input: 'hi\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('You said: "hi"');
  });

  it('exit 3 when the credentials are refused', async () => {
    const r = await runCli(['chat', '--json'], {
      env: orgEnv({ SF_CLIENT_SECRET: 'wrong-secret-value' }),
      input: 'hi\n',
    });
    expect(r.code).toBe(3);
    const lines = jsonLines(r.stdout);
    expect(lines.at(-1)).toMatchObject({
      type: 'closed',
      outcome: { reason: 'failed', error: { code: 'authentication' } },
    });
    expect(r.stdout + r.stderr).not.toContain('wrong-secret-value');
  });

  it('exit 4 when the agent is refused at start (403)', async () => {
    org.api.faults.next('start', { status: 403 });
    const r = await runCli(['chat'], { env: orgEnv(), input: 'hi\n' });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/did not start: permission_denied/);
  });

  it('exit 5 when the server ends the session while messages remain', async () => {
    const r = await runCli(['chat', '--json'], {
      env: orgEnv(),
      input: 'end the chat\nare you there?\n',
    });
    expect(r.code).toBe(5);
    const lines = jsonLines(r.stdout);
    expect(lines.filter((l) => l.type === 'sent')).toHaveLength(1);
    expect(lines.at(-2)).toMatchObject({ type: 'closed', outcome: { reason: 'ended-by-server' } });
    // The message left unsent is accounted for on stdout, not only on stderr.
    expect(lines.at(-1)).toMatchObject({
      type: 'error',
      text: 'are you there?',
      error: { code: 'session_closed' },
    });
    expect(r.stderr).toMatch(/messages remained unsent/);
  });

  it('exit 0 when the server ends the session on the last message', async () => {
    const r = await runCli(['chat'], { env: orgEnv(), input: 'hi\nend the chat\n' });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('the agent ended the session (Action)');
  });

  it('exit 1 when a message fails but the session survives', async () => {
    org.api.faults.next('send', { status: 500 });
    const r = await runCli(['chat', '--json'], { env: orgEnv(), input: 'first\nsecond\n' });
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines.find((l) => l.type === 'error')).toMatchObject({
      error: { code: 'server_error', status: 500 },
    });
    expect(messagesOf(lines).at(-1)!.message).toContain('You said: "second"');
    expect(lines.at(-1)).toMatchObject({ type: 'closed', outcome: { reason: 'ended' } });
  });

  it('restarts an expired session and re-sends the message (exit 0)', async () => {
    org.api.faults.next('send', { sessionNotFound: true });
    const r = await runCli(['chat', '--json'], { env: orgEnv(), input: 'one\ntwo\n' });
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    const expired = lines.find((l) => l.type === 'expired');
    const restarted = lines.find((l) => l.type === 'restarted');
    expect(expired).toMatchObject({ cause: 'server' });
    expect(restarted).toMatchObject({ previousSessionId: expired!['sessionId'], restarts: 1 });
    expect(messagesOf(lines).filter((m) => m.message?.startsWith('You said'))).toHaveLength(2);
    expect(org.api.sessions().map((s) => s.status)).toEqual(['expired', 'ended']);
  });

  it('exit 5 when the session expires with --on-expiry close', async () => {
    org.api.faults.next('send', { sessionNotFound: true });
    const r = await runCli(['chat', '--json', '--on-expiry', 'close'], {
      env: orgEnv(),
      input: 'one\ntwo\n',
    });
    expect(r.code).toBe(5);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({
      type: 'closed',
      outcome: { reason: 'expired' },
    });
  });

  it('--stream --json: stream events, with a validation failure replaced', async () => {
    org.api.faults.next('stream', { validationFailure: true, afterChunks: 1, reason: 'toxic' });
    const r = await runCli(['chat', '--json', '--stream'], {
      env: orgEnv(),
      input: 'hello there\n',
    });
    expect(r.code).toBe(0);
    const events = jsonLines(r.stdout)
      .filter((l) => l.type === 'stream')
      .map((l) => l['event'] as { kind: string; text?: string; reason?: string });
    const kinds = events.map((e) => e.kind);
    expect(kinds[0]).toBe('progress');
    expect(kinds).toContain('validation-failure');
    expect(kinds.at(-1)).toBe('end-of-turn');
    const failure = kinds.indexOf('validation-failure');
    const replacement = events
      .slice(failure + 1)
      .filter((e) => e.kind === 'delta')
      .map((e) => e.text)
      .join('');
    expect(replacement).toBe(`You said: "hello there". This is the Agentforce emulator's answer.`);
    expect(events[failure]!.reason).toBe('toxic');
  });

  it('SIGINT in line mode ends the session at the server and exits 130', async () => {
    const cli = new RunningCli(['chat', '--json'], orgEnv());
    cli.child.stdin.write('hi\n');
    await cli.waitFor(/You said: \\"hi\\"/);
    cli.child.kill('SIGINT');
    const { code } = await cli.exited;
    expect(code).toBe(130);
    expect(jsonLines(cli.stdout).at(-1)).toMatchObject({
      type: 'closed',
      outcome: { reason: 'ended', endReason: 'UserRequest' },
    });
    expect(org.api.sessions()[0]).toMatchObject({ status: 'ended', endReason: 'UserRequest' });
  });

  it('passes --var as session variables', async () => {
    const r = await runCli(
      ['chat', '--var', '$Context.EndUserLanguage=Text:en_US', '--var', 'Tier=Number:3'],
      { env: orgEnv(), input: 'variables\n' },
    );
    expect(r.code).toBe(0);
    expect(org.api.sessions()[0]!.variables).toMatchObject({
      '$Context.EndUserLanguage': { type: 'Text', value: 'en_US' },
      Tier: { type: 'Number', value: 3 },
    });
  });
});

describe('chat, usage errors', { timeout: 60_000 }, () => {
  // [what, argv, environment, the message on stderr]
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    [
      'an unknown flag',
      ['chat', '--bogus'],
      {},
      /unknown option '--bogus'\n\(run agentforce-session chat --help for the flags and examples\)\n$/,
    ],
    [
      'a secret on the command line',
      ['chat', '--client-secret', 'x'],
      {},
      /unknown option '--client-secret'\n.*pass --client-secret-file FILE, or set SF_CLIENT_SECRET/,
    ],
    [
      'a bad expiry policy',
      ['chat', '--on-expiry', 'sometimes'],
      {},
      /restart or close.*\n\(run agentforce-session chat --help for the flags and examples\)\n$/,
    ],
    ['a malformed variable', ['chat', '--var', 'novalue'], {}, /name=type:value/],
    [
      'a bad agent id',
      ['chat', '--agent-id', 'not-an-agent'],
      {},
      /^agentforce-session: --agent-id: must be/,
    ],
    [
      'a bad agent id from the environment',
      ['chat', '--emulator'],
      { SF_AGENT_ID: '0Xx1' },
      /SF_AGENT_ID: must be/,
    ],
    [
      'SF_* credentials without SF_MY_DOMAIN_URL (no silent emulator)',
      ['chat'],
      { SF_CLIENT_ID: 'id', SF_CLIENT_SECRET: 'secret', SF_AGENT_ID: AGENT_ID },
      /SF_AGENT_ID, SF_CLIENT_ID, SF_CLIENT_SECRET are set but SF_MY_DOMAIN_URL is not set.*--emulator/,
    ],
    [
      'an empty SF_MY_DOMAIN_URL',
      ['chat'],
      { SF_MY_DOMAIN_URL: '', SF_CLIENT_ID: 'id' },
      /SF_MY_DOMAIN_URL is empty/,
    ],
    [
      'replay with SF_* set and no org',
      ['replay', 'golden.jsonl'],
      { SF_CLIENT_ID: 'id' },
      /SF_CLIENT_ID is set but SF_MY_DOMAIN_URL is not set/,
    ],
    [
      '--emulator with an org',
      ['chat', '--emulator', '--my-domain', 'https://example.my.salesforce.com'],
      {},
      /--emulator talks to the embedded emulator/,
    ],
    [
      'an org without credentials',
      ['chat'],
      { SF_MY_DOMAIN_URL: 'https://example.my.salesforce.com' },
      /SF_CLIENT_ID.*SF_CLIENT_SECRET.*SF_AGENT_ID/,
    ],
    ['plain http off loopback', ['chat', '--my-domain', 'http://example.com'], {}, /https/],
  ];
  it('every case exits 2 with a message and sends nothing', { timeout: 240_000 }, async () => {
    // A few at a time: many Node processes at once can outlast the per-run timeout on a busy host.
    const results = [];
    for (let i = 0; i < cases.length; i += 4) {
      results.push(
        ...(await Promise.all(
          cases
            .slice(i, i + 4)
            .map(([, args, env]) =>
              runCli(args, { env: cleanEnv(org.home, env), input: 'hi\n', timeoutMs: 60_000 }),
            ),
        )),
      );
    }
    results.forEach((r, i) => {
      const [name, , , message] = cases[i]!;
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toMatch(message);
      expect(r.stderr, name).not.toContain('Options:');
      expect(r.stdout, name).toBe('');
    });
    expect(org.api.requests).toHaveLength(0);
  });

  it('--emulator uses the embedded emulator even with SF_* variables set', async () => {
    const r = await runCli(['chat', '--emulator'], {
      env: cleanEnv(org.home, { SF_CLIENT_ID: 'id', SF_CLIENT_SECRET: 'unused' }),
      input: 'hi\n',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/using the embedded emulator at/);
    expect(r.stdout).toContain('You said: "hi"');
  });
});

describe('chat --json, every failed message', { timeout: 60_000 }, () => {
  it('a message refused before it is sent (too long) gets an error line; sent lines name the question', async () => {
    const long = 'x'.repeat(100_001);
    const r = await runCli(['chat', '--json'], {
      env: orgEnv(),
      input: `where is my order?\nthe blue one\n${long}\nthanks\n`,
    });
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    const sent = lines.filter((l) => l.type === 'sent');
    expect(sent.map((l) => l['text'])).toEqual(['where is my order?', 'the blue one', 'thanks']);
    expect(sent[0]!['inReplyToMessageId']).toBeNull();
    const question = messagesOf(lines).find((m) => m.type === 'Inquire') as { id?: string };
    expect(sent[1]!['inReplyToMessageId']).toBe(question.id);
    const errors = lines.filter((l) => l.type === 'error');
    expect(errors).toEqual([
      expect.objectContaining({
        text: long,
        error: expect.objectContaining({
          code: 'invalid_argument',
          message: 'the message is 100001 characters; the limit is 100000',
        }),
      }),
    ]);
    expect(lines.at(-1)).toMatchObject({ type: 'closed' });
  });
});
