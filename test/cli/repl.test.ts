/**
 * `agentforce-session chat` in a real terminal (tmux): the prompt, the spinner, a question
 * answered, expiry noticed and survived, slash commands, streaming, and Ctrl-C / Ctrl-D ending
 * the server session. The REPL talks to an emulator started here, through the environment, and
 * the emulator is driven through its control API like any other process would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, jsonLines } from './helpers.js';
import { useEmulatorOrg } from './org.js';
import { useTerminal, type Terminal } from './terminal.js';

const CLIENT_ID = 'repl-test-client';
const SECRET = 'repl-test-secret-0b9e44a1';

const org = useEmulatorOrg({ clientId: CLIENT_ID, clientSecret: SECRET });
const openTerminal = useTerminal();

interface ControlSession {
  sessionId: string;
  status: string;
  endReason?: string;
  endedBy?: string;
}

async function control<T>(method: 'GET' | 'POST', path: string): Promise<T> {
  const res = await fetch(`${org.api.url}/__emulator/${path}`, { method });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return (await res.json()) as T;
}

const sessions = async () =>
  (await control<{ sessions: ControlSession[] }>('GET', 'sessions')).sessions;

function chat(...args: string[]): Terminal {
  const env = org.env('0XxREPLTEST000001A');
  delete env['NO_COLOR'];
  return openTerminal(org.home, [process.execPath, CLI, 'chat', ...args], env);
}

describe('chat in a terminal', { timeout: 90_000 }, () => {
  it('prompt, spinner, a question answered, expiry survived, Ctrl-C ends the session', async () => {
    const t = chat();
    let screen = await t.waitFor(/^you ›\s*$/m);
    expect(screen).toContain(`using org ${org.api.url}`);
    expect(screen).toContain("Hi, I'm the Agentforce emulator");
    expect(screen).toMatch(/^· starting$/m);

    // The agent takes its time: the spinner shows, then is erased.
    org.api.faults.next('send', { delayMs: 2500 });
    t.type('where is my order?');
    await t.waitFor(/the agent is working \d+\.\ds/);
    screen = await t.waitFor(/^answer ›\s*$/m);
    expect(screen).toMatch(/^\? Sure, I can look that up\. What is your order number\?$/m);
    expect(screen).not.toContain('the agent is working');

    // Answered at the prompt: sent with inReplyToMessageId, so "the blue one" is the order number.
    t.type('the blue one');
    screen = await t.waitFor(/^you ›\s*$/m);
    expect(screen).toMatch(/^Order the blue one has shipped/m);
    expect(screen).toMatch(/⚙ LookupOrder → \{"orderNumber":"the blue one"/);

    // Expire the session behind the REPL's back, through the control API.
    const [first] = await sessions();
    await control('POST', `sessions/${first!.sessionId}/expire`);
    t.type('are you still there?');
    screen = await t.waitFor(/You said: "are you still there\?"/);
    expect(screen).toContain(
      `! session ${first!.sessionId} expired on the server; starting a new one`,
    );
    expect(screen).toMatch(/! new session \S+ \(restart 1\)/);

    await t.waitFor(/^you ›\s*$/m);
    t.press('C-c');
    screen = await t.waitFor(/^EXIT:\d+$/m);
    expect(screen).toMatch(/^EXIT:0$/m);
    expect(screen).toMatch(/ended \(UserRequest\)/);
    const [expired, second] = await sessions();
    expect(expired).toMatchObject({ sessionId: first!.sessionId, status: 'expired' });
    expect(second).toMatchObject({ status: 'ended', endedBy: 'client', endReason: 'UserRequest' });
  });

  it('streams with a validation failure, confirms, /state, /save, /restart, then Ctrl-D', async () => {
    const t = chat('--stream');
    await t.waitFor(/^you ›\s*$/m);

    org.api.faults.next('stream', {
      validationFailure: true,
      afterChunks: 1,
      reason: 'unsafe text',
    });
    t.type('tell me something');
    let screen = await t.waitFor(/^you ›\s*$/m);
    // The marker sits under the discarded text; the whole replacement follows it.
    expect(screen).toMatch(
      /^↺ replaced: unsafe text\nYou said: "tell me something"\. This is the Agentforce emulator's answer\.$/m,
    );

    t.type('cancel my order');
    screen = await t.waitFor(/^yes\/no ›\s*$/m);
    expect(screen).toContain('? Do you want me to cancel order 00012345? [yes/no]');
    t.type('y');
    await t.waitFor(/Your order has been cancelled/);
    await t.waitFor(/^you ›\s*$/m);

    t.type('/state');
    await t.waitFor(/^state\s+awaitingInput$/m);

    const saved = join(org.home, 'saved.jsonl');
    t.type(`/save ${saved}`);
    await t.waitFor(/saved \d+ records to/);
    const records = jsonLines(readFileSync(saved, 'utf8'));
    const turns = records.filter((r) => r.type === 'turn');
    expect(turns.map((r) => r['text'])).toEqual(['tell me something', 'cancel my order', 'yes']);
    expect(turns[2]!['inReplyToMessageId']).toEqual(expect.any(String));
    expect(readFileSync(saved, 'utf8')).not.toContain(SECRET);

    t.type('/restart');
    await t.waitFor(
      /session \S+ with agent [\s\S]*session \S+ ended \(UserRequest\)[\s\S]*session \S+ with agent/,
    );
    await t.waitFor(/^you ›\s*$/m);
    const [first] = await sessions();
    expect(first).toMatchObject({ status: 'ended', endReason: 'UserRequest' });

    t.press('C-d');
    screen = await t.waitFor(/^EXIT:\d+$/m);
    expect(screen).toMatch(/^EXIT:0$/m);
    const all = await sessions();
    expect(all).toHaveLength(2);
    expect(all[1]).toMatchObject({ status: 'ended', endedBy: 'client', endReason: 'UserRequest' });
  });
  it('/skip leaves a question unanswered: the prompt is you › again and the next message is a new one', async () => {
    const t = chat();
    await t.waitFor(/^you ›\s*$/m);
    t.type('cancel my order');
    await t.waitFor(/^yes\/no ›\s*$/m);
    t.type('/skip');
    await t.waitFor(/question skipped: your next message is sent as a new message/);
    await t.waitFor(/^you ›\s*$/m);
    t.type('I want a human');
    await t.waitFor(/escalated to a human agent/);
    await t.waitFor(/^you ›\s*$/m);
    const sent = org.api.requests.filter((q) => q.route === 'send').at(-1)!.body as {
      message: { text: string; inReplyToMessageId?: string };
    };
    expect(sent.message.text).toBe('I want a human');
    expect(sent.message.inReplyToMessageId).toBeUndefined();
    t.type('/skip');
    await t.waitFor(/no question is pending/);
    t.press('C-d');
    expect(await t.waitFor(/^EXIT:\d+$/m)).toMatch(/^EXIT:0$/m);
  });

  it('a client-side idle expiry is a notice above the prompt, and the next message restarts', async () => {
    const t = chat('--idle-timeout', '1500');
    await t.waitFor(/^you ›\s*$/m);
    t.type('hel', false);
    await t.waitFor(/expired after being idle; your next message starts a new one/);
    // The prompt comes back under the notice with what was typed so far.
    await t.waitFor(/^you › hel$/m);
    t.type('lo');
    let screen = await t.waitFor(/You said: "hello"/);
    expect(screen).toMatch(/! new session \S+ \(restart 1\)/);
    await t.waitFor(/^you ›\s*$/m);
    t.type('/end');
    screen = await t.waitFor(/^EXIT:\d+$/m);
    expect(screen).toMatch(/^EXIT:0$/m);
    const all = await sessions();
    expect(all).toHaveLength(2);
    expect(all[1]).toMatchObject({ status: 'ended', endReason: 'UserRequest' });
  });
});
