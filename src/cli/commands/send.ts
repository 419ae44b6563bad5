import type { Command } from 'commander';
import type { SendOptions, Turn } from '../../index.js';
import { feedbackIdOf } from '../../feedback.js';
import { addCredentialOptions, addWaitOption } from '../config.js';
import { EXIT, exitCodeForSessionError, finish, UsageError } from '../exit-codes.js';
import { whenInterrupted } from '../interrupt.js';
import { describeError, errorInfo, warn } from '../output.js';
import { describeOutcome } from '../render.js';
import { checkHandle, LockTimeoutError, HandleStore, storeDir } from '../store.js';
import { connectStored, report, toRecord, type StoredFlags } from '../stored.js';

interface SendFlags extends StoredFlags {
  session: string;
  wait?: number;
  skipQuestion?: boolean;
}

const EXAMPLES = `
Examples:
  $ agentforce-session send --session "$S" where is my order?
  $ agentforce-session send --session "$S" 00012345          # answers the agent's question
  $ agentforce-session send --session "$S" --skip-question I want a human   # a new message instead
  $ agentforce-session send --session "$S" --json "hi" | jq -r .text

A question the agent asked (Inquire/Confirm) is answered by the next message (inReplyToMessageId),
unless that send has --skip-question; stderr says when a reply leaves a question pending.
An expired session is replaced by a new one and the message sent again. Concurrent sends on one
handle take turns (a lock file). --json prints one object:
{"handle","sessionId","sequenceId","state","question","messages","text"} or {"handle","error",...}.
Exit codes: 0 replied, 1 the message failed (the session lives on), 2 usage or unknown handle,
3 authentication, 4 configuration, 5 the session is closed or could not go on.
`;

/** `agentforce-session send --session HANDLE TEXT`: one message on a stored session. */
export function registerSendCommand(program: Command): void {
  const command = program
    .command('send')
    .description('Send one message on a stored session and print the reply.')
    .argument('<text...>', 'the message (words are joined by spaces)')
    .requiredOption('--session <handle>', 'the handle `start` printed')
    .option('--json', 'print one JSON object')
    .option(
      '--skip-question',
      "send the message as a new one, not as the answer to the agent's pending question",
    );
  addWaitOption(command, 'the session');
  addCredentialOptions(command);
  command.addHelpText('after', EXAMPLES).action(async (words: string[], flags: SendFlags) => {
    finish(await send(words.join(' '), flags));
  });
}

async function send(text: string, flags: SendFlags): Promise<number> {
  const handle = checkHandle(flags.session);
  if (text.trim() === '') throw new UsageError('the message is empty');
  const store = new HandleStore(storeDir());
  try {
    return await store.withLock(handle, () => sendLocked(store, handle, text, flags), flags.wait);
  } catch (err) {
    if (!(err instanceof LockTimeoutError)) throw err;
    report(flags, { handle, error: { code: 'lock_timeout', message: err.message } }, () =>
      warn(err.message),
    );
    return EXIT.failure;
  }
}

async function sendLocked(
  store: HandleStore,
  handle: string,
  text: string,
  flags: SendFlags,
): Promise<number> {
  const record = await store.read(handle);
  const connected = await connectStored(record, flags);
  try {
    const session = connected.client.restore(record.session);
    if (session.state === 'closed') {
      const outcome = session.outcome;
      const message = `session ${handle} is closed (${outcome ? describeOutcome(outcome) : 'closed'}); start a new one`;
      report(
        flags,
        { handle, state: 'closed', outcome, error: { code: 'session_closed', message } },
        () => warn(message),
      );
      session.stop();
      return EXIT.session;
    }
    const restarts: Array<{ previousSessionId: string | null; sessionId: string }> = [];
    session.on('session.restarted', (e) => {
      restarts.push({ previousSessionId: e.previousSessionId, sessionId: e.sessionId });
      if (!flags.json)
        warn(`session expired; new session ${e.sessionId}, the message is sent again`);
    });
    const options: SendOptions = {};
    const question = session.pendingQuestionId;
    if (question !== null && !flags.skipQuestion) options.inReplyToMessageId = question;
    // A signal cancels the message; the session is stored as it is, then main() exits with the
    // signal's code.
    const cancel = new AbortController();
    options.signal = cancel.signal;
    const stopListening = whenInterrupted(({ signal }) => {
      warn(`${signal}: the message is cancelled; the session is kept`);
      cancel.abort();
    });
    let turn: Turn | undefined;
    let failure: unknown;
    try {
      turn = await session.send(text, options);
    } catch (err) {
      failure = err;
    }
    // Stored whatever happened: the sequence counter, a new session, a close.
    const rated = turn?.messages.findLast((m) => feedbackIdOf(m) !== undefined);
    const lastFeedbackId = rated ? feedbackIdOf(rated) : record.lastFeedbackId;
    await store.write(
      toRecord(
        session,
        { ...record, ...(lastFeedbackId !== undefined && { lastFeedbackId }) },
        record.turns + (turn ? 1 : 0),
      ),
    );
    stopListening();
    const state: string = session.state;
    session.stop();
    if (turn) {
      report(
        flags,
        {
          handle,
          sessionId: turn.sessionId,
          sequenceId: turn.sequenceId ?? null,
          state,
          question: turn.question?.id ?? null,
          ...(restarts.length > 0 && { restarts }),
          messages: turn.messages,
          text: turn.text,
        },
        () => {
          if (turn.text !== '') process.stdout.write(`${turn.text}\n`);
          if (turn.ended) warn(`the agent ended the session (${turn.ended.reason})`);
          if (turn.question && state !== 'closed') {
            warn(
              `the agent asks a question (${turn.question.type}): the next send answers it; ` +
                'add --skip-question to send a new message instead',
            );
          }
        },
      );
      return EXIT.ok;
    }
    const error = errorInfo(failure);
    report(flags, { handle, state, error }, () =>
      warn(`the message failed: ${describeError(error)}`),
    );
    if (state !== 'closed') return EXIT.failure;
    return exitCodeForSessionError(session.outcome?.error ?? error, 'conversation');
  } finally {
    await connected.close();
  }
}
