/**
 * `agentforce-session replay`: a conversation recorded with `chat --transcript` sent again, to
 * the same agent (identical, exit 0) and to an agent that answers differently (exit 1).
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ResponseMessage } from '../../src/index.js';
import {
  defaultGreeting,
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

  describe('matching that survives an agent whose wording changes', () => {
    /** The default agent, reworded on every reply, as a real agent's answers are. */
    let said = 0;
    const reworded = (lookupStatus = 'Shipped') => {
      const reword = (m: ResponseMessage): ResponseMessage => {
        const text = m['message'];
        const result = m['result'] as Array<{ value: Record<string, unknown> }> | undefined;
        return {
          ...m,
          ...(typeof text === 'string' ? { message: `Well, ${text} (${++said})` } : {}),
          ...(result
            ? {
                result: result.map((r) =>
                  r.value['status'] ? { ...r, value: { ...r.value, status: lookupStatus } } : r,
                ),
              }
            : {}),
        };
      };
      return {
        agent: {
          reply: (turn: Parameters<typeof defaultReply>[0]) => defaultReply(turn).map(reword),
          greeting: (session: Parameters<typeof defaultGreeting>[0]) =>
            defaultGreeting(session).map(reword),
        },
      };
    };

    async function replayJson(api: FakeAgentApi, ...flags: string[]) {
      const r = await runCli(['replay', transcript, '--my-domain', api.url, '--json', ...flags], {
        env: cleanEnv(home.dir),
      });
      const report = JSON.parse(r.stdout || '{}') as {
        match: string;
        summary: { same: number; different: number };
        conversations: Array<{
          turns: Array<{ turn: number; status: string; differences: unknown[] }>;
        }>;
      };
      return { code: r.code, stderr: r.stderr, report };
    }

    it('exact (the default) reports every reworded reply; types and actions find them the same', async () => {
      const api = await emulator(reworded());
      const exact = await replayJson(api);
      expect(exact.code, exact.stderr).toBe(1);
      expect(exact.report.match).toBe('exact');
      expect(exact.report.summary).toEqual({ replies: 6, same: 0, different: 6 });
      for (const mode of ['types', 'actions']) {
        const r = await replayJson(api, '--match', mode);
        expect(r.code, `${mode}: ${r.stderr}`).toBe(0);
        expect(r.report.summary).toEqual({ replies: 6, same: 6, different: 0 });
      }
    });

    it('actions: an action whose result changed is different, though the types are the same', async () => {
      const api = await emulator(reworded('Lost'));
      expect((await replayJson(api, '--match', 'types')).code).toBe(0);
      const r = await replayJson(api, '--match', 'actions');
      expect(r.code).toBe(1);
      const turns = r.report.conversations[0]!.turns;
      expect(turns.map((t) => t.status)).toEqual([
        'same',
        'same',
        'same',
        'different',
        'same',
        'same',
      ]);
      expect(turns[3]!.differences).toMatchObject([
        {
          index: 1,
          expected: { type: 'Inform', actions: [{ value: { status: 'Shipped' } }] },
          actual: { type: 'Inform', actions: [{ value: { status: 'Lost' } }] },
        },
      ]);
    });

    it('--expect: the turn passes when its text matches the pattern, and fails when not', async () => {
      const api = await emulator(reworded());
      const pass = await replayJson(api, '--expect', '2=order number', '--expect', '3=SHIPPED');
      // Turns 2 and 3 match their patterns; the others are still compared exactly.
      expect(pass.report.conversations[0]!.turns.map((t) => t.status)).toEqual([
        'different',
        'different',
        'same',
        'same',
        'different',
        'different',
      ]);
      const fail = await replayJson(api, '--match', 'types', '--expect', '3=delivered');
      expect(fail.code).toBe(1);
      const turn3 = fail.report.conversations[0]!.turns[3]!;
      expect(turn3.status).toBe('different');
      expect(turn3.differences).toMatchObject([
        { index: 0, expected: { type: 'pattern', text: '/delivered/i' }, actual: { type: 'text' } },
      ]);
      const text = await runCli(
        [
          'replay',
          transcript,
          '--my-domain',
          api.url,
          '--match',
          'types',
          '--expect',
          '3=delivered',
        ],
        { env: cleanEnv(home.dir) },
      );
      expect(text.stdout).toMatch(/^turn 3\s+DIFFERENT the blue one$/m);
      expect(text.stdout).toMatch(/^ {4}text: expected text matching \/delivered\/i$/m);
      expect(text.stdout).toMatch(/6 replies: 5 same, 1 different \(by types\)/);
    });

    it('bad --match or --expect values are usage errors (exit 2)', async () => {
      const cases = [
        ['--match', 'fuzzy'],
        ['--expect', 'shipped'],
        ['--expect', '3=('],
        ['--expect', '9=shipped'],
      ];
      const results = await Promise.all(
        cases.map((flags) =>
          runCli(['replay', transcript, '--emulator', ...flags], { env: cleanEnv(home.dir) }),
        ),
      );
      results.forEach((r, i) => {
        expect(r.code, cases[i]!.join(' ')).toBe(2);
        expect(r.stdout).toBe('');
      });
      expect(results[3]!.stderr).toMatch(/--expect 9: the transcript has no turn 9/);
    });
  });

  it('exit 2 for a transcript that does not exist or is not one', async () => {
    const missing = await runCli(['replay', join(home.dir, 'nope.jsonl')], {
      env: cleanEnv(home.dir),
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read transcript/);
  });
});
