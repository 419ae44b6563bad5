/**
 * `agentforce-session replay`: a conversation recorded with `chat --transcript` sent again, to
 * the same agent (identical, exit 0) and to an agent that answers differently (exit 1).
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultReply,
  inform,
  startFakeAgentApi,
  type FakeAgentApi,
} from '../../src/fake-server/index.js';
import { cleanEnv, ensureBuilt, runCli, tempDir } from './helpers.js';

let home: { dir: string; cleanup: () => void };
let transcript: string;
const opened: FakeAgentApi[] = [];

beforeAll(async () => {
  ensureBuilt();
  home = tempDir();
  transcript = join(home.dir, 'golden.jsonl');
  const r = await runCli(['chat', '--transcript', transcript], {
    env: cleanEnv(home.dir),
    input: 'hi\nwhere is my order?\nthe blue one\ncancel my order\nyes\n',
  });
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

afterEach(async () => {
  await Promise.all(opened.splice(0).map((api) => api.close()));
});

afterAll(() => home.cleanup());

async function emulator(options: Parameters<typeof startFakeAgentApi>[0] = {}) {
  const api = await startFakeAgentApi({ anyAgentId: true, port: 0, ...options });
  opened.push(api);
  return api;
}

describe('replay', { timeout: 60_000 }, () => {
  it('the same agent answers the same: exit 0, every reply the same', async () => {
    const api = await emulator();
    const r = await runCli(['replay', transcript, '--my-domain', api.url], {
      env: cleanEnv(home.dir),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^greeting\s+same/m);
    expect(r.stdout).toMatch(/^turn 3\s+same\s+the blue one$/m);
    expect(r.stdout).toMatch(/6 replies: 6 same, 0 different/);
    // The answer to the question went as an answer to the new session's question.
    const sends = api.requests.filter((q) => q.route === 'send');
    const answer = sends[2]!.body as { message: { text: string; inReplyToMessageId?: string } };
    expect(answer.message.text).toBe('the blue one');
    expect(answer.message.inReplyToMessageId).toEqual(expect.any(String));
  });

  it('an agent that answers differently: exit 1 and a report of the differences', async () => {
    const api = await emulator({
      agent: (turn) =>
        /order/i.test(turn.text) && !/cancel/i.test(turn.text)
          ? [inform('Orders are handled by phone now.')]
          : defaultReply(turn),
    });
    const r = await runCli(['replay', transcript, '--my-domain', api.url, '--json'], {
      env: cleanEnv(home.dir),
    });
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as {
      identical: boolean;
      summary: { replies: number; same: number; different: number };
      conversations: Array<{
        turns: Array<{ turn: number; status: string; differences: unknown[] }>;
      }>;
    };
    expect(report.identical).toBe(false);
    expect(report.summary).toEqual({ replies: 6, same: 4, different: 2 });
    const turns = report.conversations[0]!.turns;
    expect(turns.map((t) => t.status)).toEqual([
      'same',
      'same',
      'different',
      'different',
      'same',
      'same',
    ]);
    expect(turns[2]!.differences).toEqual([
      {
        index: 1,
        expected: { type: 'Inquire', text: 'Sure, I can look that up. What is your order number?' },
        actual: { type: 'Inform', text: 'Orders are handled by phone now.' },
      },
    ]);
  });

  it('exit 2 for a transcript that does not exist or is not one', async () => {
    const missing = await runCli(['replay', join(home.dir, 'nope.jsonl')], {
      env: cleanEnv(home.dir),
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read transcript/);
  });
});
