/**
 * The harness's checks, each shown failing on an app that breaks it, and passing on one that
 * keeps it: real client, real emulator, over HTTP on loopback.
 */
import { describe, expect, it } from 'vitest';
import { AgentforceClient, isAgentforceError } from '../../src/index.js';
import {
  PathFailure,
  lifecyclePaths,
  runPath,
  type AppConnection,
  type LifecyclePath,
  type Shown,
} from '../../src/testing/index.js';

/** A plain app: one session, one message at a time, what each message got. */
async function plainApp(
  connection: AppConnection,
  messages: readonly string[],
  options: { end?: boolean; leak?: (text: string) => string } = {},
): Promise<Shown[]> {
  const client = new AgentforceClient(connection.client);
  let session = client.session({ agentId: connection.agentId });
  const shown: Shown[] = [];
  try {
    for (const text of messages) {
      if (session.state === 'closed') session = client.session({ agentId: connection.agentId });
      const question = session.pendingQuestionId;
      try {
        const turn = await session.send(text, question ? { inReplyToMessageId: question } : {});
        shown.push({ reply: options.leak ? options.leak(turn.text) : turn.text });
      } catch (err) {
        if (!isAgentforceError(err)) throw err;
        shown.push({ error: err.code });
      }
    }
    if (options.end !== false) await session.end().catch(() => undefined);
    return shown;
  } finally {
    client.close();
  }
}

const paths = lifecyclePaths();
const byDescription = (start: string): LifecyclePath => {
  const p = paths.find((x) => x.description.startsWith(start));
  if (!p) throw new Error(`no path ${start}`);
  return p;
};
const plain = byDescription('1st message: answered once; 2nd message: answered once; the app');
const questionPath = byDescription(
  '1st message: the agent asks a question back, answered once; 2nd',
);

async function failure(run: Promise<unknown>): Promise<PathFailure> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PathFailure);
  return err as PathFailure;
}

describe('runPath', () => {
  it('passes an app that keeps every rule, and hands back the run', async () => {
    const run = await runPath(questionPath, (c, m) => plainApp(c, m));
    expect(run.shown).toEqual([
      { reply: 'Before I answer message 1: what is your order number?' },
      { reply: 'Answer to message 2.' },
    ]);
    expect(run.sessions.map((s) => s.status)).toEqual(['ended']);
  });

  it('fails an app that leaves the session open', async () => {
    const err = await failure(runPath(plain, (c, m) => plainApp(c, m, { end: false })));
    expect(err.message).toContain(`path "${plain.description}":`);
    expect(err.problems).toEqual([
      '1 server session(s) left open: the app must end every conversation it starts (session.end())',
    ]);
  });

  it('fails an app that shows a token or the client secret', async () => {
    /** The secret an app was configured with, as its own config would hold it. */
    const secretOf = async (c: AppConnection): Promise<string> => {
      let form = '';
      const auth = c.client.auth as { getToken(ctx: unknown): Promise<unknown> };
      await auth
        .getToken({
          myDomainUrl: 'http://127.0.0.1:9',
          http: {
            post: (_url: string, body: string) => {
              form = body;
              return Promise.resolve({ status: 400, headers: {}, data: {} });
            },
          },
        })
        .catch(() => undefined);
      return new URLSearchParams(form).get('client_secret') ?? 'not found';
    };
    const secret = await failure(
      runPath(plain, async (c, m) => {
        const leaked = await secretOf(c);
        return plainApp(c, m, { leak: (t) => `${t} (configured with ${leaked})` });
      }),
    );
    expect(secret.problems).toEqual(['what the app returned holds the client secret']);
    const token = await failure(
      runPath(plain, (c, m) =>
        plainApp(c, m, { leak: (t) => `${t} Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln` }),
      ),
    );
    expect(token.problems).toEqual(['what the app returned holds an access token']);
  });

  it('fails an app that shows an answer twice, or returns too few results', async () => {
    const twice = await failure(
      runPath(plain, async (c, m) => {
        const shown = await plainApp(c, m);
        return [shown[0]!, { reply: `${String(shown[1]!.reply)} ${String(shown[0]!.reply)}` }];
      }),
    );
    expect(twice.problems).toEqual([
      'the answer to the 1st message ("Message 1: where is my order?") is shown 2 times',
    ]);
    const short = await failure(runPath(plain, async (c, m) => (await plainApp(c, m)).slice(0, 1)));
    expect(short.problems).toEqual([
      'the app returned 1 results for 2 messages (one per message, in order)',
    ]);
  });

  it('fails an app that sends a message twice', async () => {
    const err = await failure(
      runPath(plain, async (c, m) =>
        plainApp(c, [m[0]!, m[0]!, m[1]!]).then((s) => [s[0]!, s[2]!]),
      ),
    );
    expect(err.problems).toContain(
      'the 1st message ("Message 1: where is my order?") reached the agent 2 times (the app sent it again)',
    );
  });

  it('reports what the app threw, and your own check, with the path', async () => {
    const threw = await failure(runPath(plain, () => Promise.reject(new Error('database down'))));
    expect(threw.problems[0]).toBe('the app threw: database down');
    const checked = await failure(
      runPath(plain, (c, m) => plainApp(c, m), {
        check: () => {
          throw new Error('my rule');
        },
      }),
    );
    expect(checked.problems).toEqual(['your check: my rule']);
  });
});
