/**
 * The harness: runs the app's own code on one lifecycle path against a fresh emulator, and checks
 * what every app must keep: each message answered, or failed with the typed error the path
 * leads to, exactly once; no server session left open; no secret in what the app returned.
 * Runner-agnostic: it throws a {@link PathFailure} naming the path, which any runner reports.
 */
import { randomUUID } from 'node:crypto';
import { clientCredentials } from '../auth.js';
import type { ClientOptions } from '../options.js';
import { inform, inquire, sessionEnded } from '../fake-server/agents/drafts.js';
import type { AgentReply, AgentTurn } from '../fake-server/agents/types.js';
import type { Fault } from '../fake-server/fault-types.js';
import type { RecordedRequest } from '../fake-server/record.js';
import { startFakeAgentApi } from '../fake-server/server.js';
import type { SessionInfo } from '../fake-server/sessions.js';
import { KIT_AGENT_ID, ordinal, type LifecyclePath, type PathMessage } from './paths.js';
import { ATTEMPTS } from './steps.js';

/** How the app reaches the agent: pass `client` to `new AgentforceClient()` as it is. */
export interface AppConnection {
  /** Client options for the emulator of this path (its URL, credentials and fast retries). */
  readonly client: ClientOptions;
  /** The agent to start sessions with. */
  readonly agentId: string;
}

/**
 * What the app showed (or stored) for one user message: the agent's reply text, or the typed
 * error's `code`. Anything else you return is kept for your own assertions.
 */
export interface Shown {
  readonly reply?: string | undefined;
  readonly error?: string | undefined;
  readonly [key: string]: unknown;
}

/**
 * The app under test: given a connection and the user messages, it holds the conversation as
 * it does in production (one message at a time, then it ends the conversation) and returns what
 * it showed for each message, in order.
 */
export type AppUnderTest = (
  connection: AppConnection,
  messages: readonly string[],
) => Promise<readonly Shown[]>;

/** What happened on one path. */
export interface PathRun {
  readonly path: LifecyclePath;
  /** What the app returned. */
  readonly shown: readonly Shown[];
  /** Every request the emulator received (secrets redacted). */
  readonly requests: readonly RecordedRequest[];
  /** Every server session, as the emulator saw it at the end. */
  readonly sessions: readonly SessionInfo[];
}

/** Options of {@link runPath}. */
export interface RunPathOptions {
  /** Your own assertions on the run; what they throw is reported with the path. */
  readonly check?: (run: PathRun) => void | Promise<void>;
  /** Real milliseconds the app has to return. @default 15000 */
  readonly timeoutMs?: number;
}

/** A path the app did not keep: the message names the path and lists every problem. */
export class PathFailure extends Error {
  override name = 'PathFailure';
  constructor(
    readonly path: LifecyclePath,
    readonly problems: readonly string[],
  ) {
    super(
      `path "${path.description}":\n${problems.map((p) => `  - ${p}`).join('\n')}\n  steps: ${path.runs.map((r) => r.join(' → ')).join(' | new session | ')}`,
    );
  }
}

/** A fault that answers normally: it holds a request's place in the queue of its route. */
const PASS: Fault = { delayMs: 0 };

const questionId = (n: number) => `kit-question-${n}`;

/** The scripted agent of a path: answers each message as the path says, and notes what is wrong. */
function agentOf(path: LifecyclePath, problems: string[], reached: Map<number, number>) {
  const byText = new Map<string, PathMessage[]>();
  for (const m of path.messages) byText.set(m.text, [...(byText.get(m.text) ?? []), m]);
  return (turn: AgentTurn): AgentReply => {
    const candidates = byText.get(turn.text) ?? [];
    const m = candidates.find((c) => (reached.get(c.n) ?? 0) === 0) ?? candidates[0];
    if (!m) {
      problems.push(
        `the agent got a message that is not in the path: ${JSON.stringify(turn.text)}`,
      );
      return [inform('I did not expect that message.')];
    }
    reached.set(m.n, (reached.get(m.n) ?? 0) + 1);
    if (m.answersQuestion && turn.inReplyToMessageId !== questionId(m.n - 1)) {
      problems.push(
        `the ${ordinal(m.n)} message answers the agent's question but was sent ${turn.inReplyToMessageId === undefined ? 'without inReplyToMessageId' : `with inReplyToMessageId ${turn.inReplyToMessageId}`} (the question's id is ${questionId(m.n - 1)})`,
      );
      return [inform('I still need the answer to my question.')];
    }
    switch (path.acts.get(m.n) ?? 'reply') {
      case 'ask':
        return [
          inquire(m.agentText, [{ targetType: 'copilotActionInput/LookupOrder', data: null }], {
            id: questionId(m.n),
          }),
        ];
      case 'endSession':
        return [inform(m.agentText), sessionEnded('Action')];
      default:
        return [inform(m.agentText)];
    }
  };
}

const TOKEN_SHAPE = /eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*/;

/** The checks of one run; each problem names the message it is about. */
function check(run: PathRun, secret: string, reached: Map<number, number>): string[] {
  const problems: string[] = [];
  const { path, shown } = run;
  if (shown.length !== path.messages.length) {
    problems.push(
      `the app returned ${shown.length} results for ${path.messages.length} messages (one per message, in order)`,
    );
  }
  for (const m of path.messages) {
    const got = shown[m.n - 1];
    const label = `the ${ordinal(m.n)} message (${JSON.stringify(m.text)})`;
    if (!got) continue;
    const has = `the app showed ${got.error !== undefined ? `error ${JSON.stringify(got.error)}` : `reply ${JSON.stringify(got.reply ?? '')}`}`;
    if (m.expected.answered) {
      if (
        typeof got.reply !== 'string' ||
        !got.reply.includes(m.agentText) ||
        got.error !== undefined
      ) {
        problems.push(`${label} must be answered with ${JSON.stringify(m.agentText)}; ${has}`);
      }
    } else if (got.error !== m.expected.code || got.reply !== undefined) {
      problems.push(`${label} must fail with the typed error ${m.expected.code}; ${has}`);
    }
    const times = reached.get(m.n) ?? 0;
    if (times > 1)
      problems.push(`${label} reached the agent ${times} times (the app sent it again)`);
    const elsewhere = shown.filter(
      (x, i) => i !== m.n - 1 && typeof x.reply === 'string' && x.reply.includes(m.agentText),
    );
    if (m.expected.answered && elsewhere.length > 0) {
      problems.push(`the answer to ${label} is shown ${elsewhere.length + 1} times`);
    }
  }
  const open = run.sessions.filter((s) => s.status === 'open').length;
  if (open > path.leftOpen) {
    problems.push(
      `${open - path.leftOpen} server session(s) left open: the app must end every conversation it starts (session.end())`,
    );
  }
  const text = JSON.stringify(shown);
  if (text.includes(secret)) problems.push('what the app returned holds the client secret');
  if (/Bearer\s/i.test(text) || TOKEN_SHAPE.test(text)) {
    problems.push('what the app returned holds an access token');
  }
  return problems;
}

/** The client options the paths assume: the retry budget of the steps (2 retries), waits cut short. */
function clientOptions(url: string, clientId: string, clientSecret: string): ClientOptions {
  return {
    myDomainUrl: url,
    auth: clientCredentials({ clientId, clientSecret }),
    retry: { maxRetries: ATTEMPTS - 1, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 5 },
  };
}

/**
 * Runs `app` on one path against a fresh emulator and checks it.
 *
 * @returns what happened, for your own assertions.
 * @throws PathFailure naming the path and every problem found (your `check` included).
 */
export async function runPath(
  path: LifecyclePath,
  app: AppUnderTest,
  options: RunPathOptions = {},
): Promise<PathRun> {
  const problems: string[] = [];
  const reached = new Map<number, number>();
  const clientId = 'kit-client';
  const clientSecret = `kit-secret-${randomUUID()}`;
  const api = await startFakeAgentApi({
    anyAgentId: true,
    clientId,
    clientSecret,
    streamChunkDelayMs: 0,
    agent: { reply: agentOf(path, problems, reached) },
  });
  try {
    for (const r of path.requests) api.faults.next(r.route, r.fault ?? PASS);
    const connection: AppConnection = {
      client: clientOptions(api.url, clientId, clientSecret),
      agentId: KIT_AGENT_ID,
    };
    const timeoutMs = options.timeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    let shown: readonly Shown[] = [];
    try {
      shown = await Promise.race([
        app(
          connection,
          path.messages.map((m) => m.text),
        ),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`the app did not return within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      if (!Array.isArray(shown)) {
        problems.push('the app must return an array: what it showed for each message');
        shown = [];
      }
    } catch (err) {
      problems.push(`the app threw: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      clearTimeout(timer);
    }
    const run: PathRun = { path, shown, requests: api.requests, sessions: api.sessions() };
    if (run.requests.some((r) => r.route === 'stream')) {
      problems.push('the app streams its messages; the paths plan synchronous sends (send())');
    }
    problems.push(...check(run, clientSecret, reached));
    const unused = api.faults.pending.filter((p) => !('delayMs' in p.fault));
    if (unused.length > 0 && problems.length === 0) {
      problems.push(
        `the app did not make the requests the path plans (unused: ${unused.map((p) => `${p.route} ${JSON.stringify(p.fault)}`).join(', ')}); use one client per conversation and send one message at a time`,
      );
    }
    if (options.check) {
      try {
        await options.check(run);
      } catch (err) {
        problems.push(`your check: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (problems.length > 0) throw new PathFailure(path, problems);
    return run;
  } finally {
    await api.close();
  }
}
