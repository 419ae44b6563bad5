/**
 * `chat` when stdin is not a terminal (or with `--json`): one user message per input line, in
 * order, the session ended at the end of input. Exit 0 only if every message got a reply.
 *
 * stdout holds only the conversation: with `--json` one JSON object per line, else the agent's
 * text per turn (the greeting first). Notices and errors go to stderr.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { AgentSession, SendOptions, SessionOptions, Turn, RetryNotice } from '../index.js';
import { SessionClosedError } from '../errors.js';
import type { Connected } from './connect.js';
import { emitJson, recordLifecycle, type Sending } from './events.js';
import { EXIT, exitCodeForSessionError, worstExit } from './exit-codes.js';
import { whenInterrupted } from './interrupt.js';
import { describeError, errorInfo, JsonLines, warn } from './output.js';
import { describeOutcome } from './render.js';
import type { Transcript } from './transcript.js';

export interface ChatRun {
  connected: Connected;
  agentId: string;
  sessionOptions: Omit<SessionOptions, 'agentId'>;
  json: boolean;
  stream: boolean;
  transcript: Transcript;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Told when the client waits to repeat a request (set by the terminal mode). */
  onRetry?: ((notice: RetryNotice) => void) | undefined;
}

/** Sends one message (streamed or not) and resolves with the whole reply. */
export async function sendTurn(
  session: AgentSession,
  text: string,
  options: SendOptions,
  stream: boolean,
): Promise<Turn> {
  if (!stream) return session.send(text, options);
  const reply = session.stream(text, options);
  // Drain the events (they are shown by the session's listeners) so the stream is released.
  for await (const _event of reply) {
    /* shown by the listeners */
  }
  return reply.turn;
}

/** Whether a session is closed (read fresh: its state changes under the caller's feet). */
export function isClosed(session: AgentSession): boolean {
  return session.state === 'closed';
}

/** Runs the line mode; resolves with the exit code. */
export async function runBatch(run: ChatRun): Promise<number> {
  const { stdout, stderr, transcript } = run;
  const say = (line: string) => warn(line, stderr);
  const session = run.connected.client.session({ agentId: run.agentId, ...run.sessionOptions });
  const state: LineState = {
    lines: undefined,
    current: undefined,
    failureShown: false,
    interrupted: false,
    json: run.json ? new JsonLines(stdout) : undefined,
  };
  if (state.json) {
    emitJson(session, state.json, { stream: run.stream, sending: () => state.current });
    session.on('turn.failed', () => (state.failureShown = true));
  } else {
    session.on('session.expired', (e) =>
      say(
        `session ${e.sessionId ?? ''} expired (${e.cause === 'idle' ? 'idle' : 'on the server'})`,
      ),
    );
    session.on('session.restarted', (e) =>
      say(`new session ${e.sessionId} (restart ${e.restarts}); the message is sent again`),
    );
  }
  recordLifecycle(session, transcript);

  // A signal: stop reading, end the server session; main() exits 128 + the signal number.
  const stopListening = whenInterrupted(({ signal }) => {
    state.interrupted = true;
    say(`${signal}: ending the session`);
    state.lines?.close();
    session.end('UserRequest').catch(() => undefined);
  });
  try {
    return await converse(run, session, state, say);
  } finally {
    stopListening();
  }
}

/** What the line loop shares with the signal handler and the JSON listener. */
interface LineState {
  lines: Interface | undefined;
  /** The message being sent. */
  current: Sending | undefined;
  /** Whether the session reported the failure of the message being sent (an `error` line). */
  failureShown: boolean;
  /** Whether a signal interrupted the run. */
  interrupted: boolean;
  /** Where JSON lines go, with `--json`. */
  json: JsonLines | undefined;
}

async function converse(
  run: ChatRun,
  session: AgentSession,
  state: LineState,
  say: (line: string) => void,
): Promise<number> {
  const { stdout, transcript } = run;
  const startedAt = new Date();
  try {
    const greeting = await session.start();
    transcript.greeting(greeting.sessionId, greeting.messages, startedAt, new Date());
    if (!run.json && greeting.text !== '') stdout.write(`${greeting.text}\n`);
  } catch (err) {
    const info = errorInfo(err);
    say(`the session did not start: ${describeError(info)}`);
    return exitCodeForSessionError(info, 'start');
  }

  let exit: number = EXIT.ok;
  const lines = createInterface({ input: run.stdin, terminal: false, crlfDelay: Infinity });
  state.lines = lines;
  try {
    // A readline closed before the loop starts never ends it (Node 20): check first.
    for await (const line of state.interrupted ? [] : lines) {
      if (state.interrupted) break;
      const text = line.trim();
      if (text === '') continue;
      if (session.state === 'closed') {
        const outcome = session.outcome;
        const why = `the session closed (${outcome ? describeOutcome(outcome) : 'closed'}) while messages remained unsent`;
        say(why);
        // The message not sent gets its error line too; input after it is not read.
        state.json?.write({
          type: 'error',
          sessionId: session.sessionId,
          text,
          error: errorInfo(new SessionClosedError(`not sent: ${why}`)),
        });
        exit = worstExit(exit, EXIT.session);
        break;
      }
      const turn = transcript.nextTurn();
      const options: SendOptions = {};
      const question = session.pendingQuestionId;
      if (question !== null) options.inReplyToMessageId = question;
      state.current = { text, inReplyToMessageId: options.inReplyToMessageId };
      state.failureShown = false;
      const sentAt = new Date();
      try {
        const reply = await sendTurn(session, text, options, run.stream);
        transcript.turn(
          {
            turn,
            text,
            ...(question !== null && { inReplyToMessageId: question }),
            sessionId: reply.sessionId,
            sequenceId: reply.sequenceId ?? null,
            messages: reply.messages,
          },
          sentAt,
          new Date(),
        );
        if (!run.json) {
          if (reply.text !== '') stdout.write(`${reply.text}\n`);
          if (reply.messages.some((m) => m.type === 'Escalate'))
            say('the agent escalated the conversation to a human agent');
          if (reply.ended) say(`the agent ended the session (${reply.ended.reason})`);
        }
      } catch (err) {
        const info = errorInfo(err);
        transcript.turn(
          {
            turn,
            text,
            ...(question !== null && { inReplyToMessageId: question }),
            sessionId: session.sessionId,
            sequenceId: null,
            messages: [],
            error: info,
          },
          sentAt,
          new Date(),
        );
        say(`message ${turn} failed: ${describeError(info)}`);
        // Refused before it was sent (too long, …): the session said nothing, so say it here.
        if (!state.failureShown) {
          state.json?.write({ type: 'error', sessionId: session.sessionId, text, error: info });
        }
        if (isClosed(session)) {
          const outcome = session.outcome;
          exit = worstExit(exit, exitCodeForSessionError(outcome?.error ?? info, 'conversation'));
          break;
        }
        exit = worstExit(exit, EXIT.failure);
      } finally {
        state.current = undefined;
      }
    }
  } finally {
    lines.close();
  }

  if (session.state !== 'closed') {
    try {
      await session.end('UserRequest');
    } catch (err) {
      say(`ending the session failed: ${describeError(errorInfo(err))}`);
    }
  }
  return exit;
}
