/**
 * The support bot on every lifecycle path of a session, generated from the session machine, and
 * on a scenario written by hand. In your app, import from 'agentforce-session/testing'.
 */
import { describe, expect, it } from 'vitest';
import {
  ask,
  expireNow,
  lifecyclePaths,
  PathFailure,
  rateLimit,
  reply,
  runPath,
  scenarioPath,
  type AppUnderTest,
  type Shown,
} from '../../src/testing/index.js';
import { startSupportBot, type Flaw } from './bot.js';

/** Drives the bot over HTTP as its web front end does, and returns what it showed. */
function botApp(flaw?: Flaw): AppUnderTest {
  return async (connection, messages) => {
    const bot = await startSupportBot({ ...connection, flaw });
    try {
      const res = await fetch(`${bot.url}/conversations`, { method: 'POST' });
      const { id } = (await res.json()) as { id: string };
      const shown: Shown[] = [];
      for (const text of messages) {
        const r = await fetch(`${bot.url}/conversations/${id}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text }),
        });
        const body = (await r.json()) as { reply?: string; error?: { code: string } };
        shown.push(body.error ? { error: body.error.code } : { reply: body.reply });
      }
      await fetch(`${bot.url}/conversations/${id}`, { method: 'DELETE' });
      return shown;
    } finally {
      await bot.close();
    }
  };
}

const paths = lifecyclePaths();

describe('support bot: every lifecycle path', () => {
  for (const path of paths) {
    it(path.description, async () => {
      await runPath(path, botApp(), {
        check: ({ requests }) => {
          // The bot's own rule: it never sends a message to the agent twice.
          const sends = requests.filter((r) => r.route === 'send' && r.status === 200);
          expect(sends.length).toBeLessThanOrEqual(path.messages.length);
        },
      });
    });
  }
});

describe('support bot: a scenario written by hand', () => {
  it('answers a question after the session expired and a 429', async () => {
    const path = scenarioPath({
      name: 'order status with a question, an expiry and a rate limit',
      turns: [
        { user: 'Where is my order?', then: [ask('What is your order number?')] },
        { user: '4242', then: [expireNow(), rateLimit(), reply('Order 4242 has shipped.')] },
      ],
    });
    const run = await runPath(path, botApp());
    expect(run.shown.map((s) => s.reply)).toEqual([
      'What is your order number?',
      'Order 4242 has shipped.',
    ]);
    expect(run.sessions.map((s) => s.endedBy)).toEqual(['expiry', 'client']);
  });
});

/** The failures of a flawed bot on every path, by path description. */
async function failuresOf(flaw: Flaw): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const path of paths) {
    try {
      await runPath(path, botApp(flaw));
    } catch (err) {
      if (!(err instanceof PathFailure)) throw err;
      out.set(path.description, err.message);
    }
  }
  return out;
}

describe('a broken bot turns the paths that exercise its mistake red, naming the path', () => {
  /** The paths a flawed bot fails, and the message of each failure. */
  const check = async (flaw: Flaw, exercised: string, reason: RegExp) => {
    const failed = await failuresOf(flaw);
    expect(failed.size).toBeGreaterThan(0);
    for (const [description, message] of failed) {
      expect(description).toContain(exercised);
      expect(message.startsWith(`path "${description}":`)).toBe(true);
    }
    expect([...failed.values()].some((m) => reason.test(m))).toBe(true);
  };

  it(
    'without the restart on expiry',
    () => check('closeOnExpiry', 'the session expires', /showed error "session_expired"/),
    120_000,
  );

  it(
    'ignoring the pending question',
    () => check('ignoreQuestions', 'the answer to the question', /without inReplyToMessageId/),
    120_000,
  );

  it(
    'keeping a session that closed',
    () => check('keepClosedSessions', 'in a new session', /showed error "session_closed"/),
    120_000,
  );
});
