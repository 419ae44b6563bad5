/**
 * `chat` in a terminal: a prompt, a spinner while the agent works, every message of a reply by
 * its kind, questions answered at the prompt, state changes (dim), expiry and restart as notices
 * while the conversation goes on, and slash commands. Ctrl-C or Ctrl-D ends the server session
 * (`DELETE`, reason `UserRequest`) before exiting.
 *
 * With `--stream`, text is printed as it arrives. When the agent's text fails validation
 * mid-stream, a marker line (`↺ replaced: <reason>`) is printed under the text shown so far and
 * the replacement text follows it.
 */
import { createInterface, type Interface } from 'node:readline';
import type { AgentSession, ResponseMessage, SendOptions, Turn } from '../index.js';
import { sendTurn, type ChatRun } from './batch.js';
import { recordLifecycle } from './events.js';
import { EXIT, exitCodeForSessionError } from './exit-codes.js';
import { whenInterrupted } from './interrupt.js';
import { describeError, describeRetry, errorInfo } from './output.js';
import { describeOutcome, renderMessage } from './render.js';
import { ReplScreen, stateLines } from './repl-screen.js';
import type { TurnRecord } from './transcript.js';

export const REPL_HELP = [
  '/end            end the session and quit (also Ctrl-C, Ctrl-D)',
  '/restart        end this session and start a new one',
  '/state          show the session state',
  "/skip           leave the agent's question unanswered: the next message is a new one",
  '/save FILE      write the transcript so far to FILE (JSON lines)',
  '/good [TEXT]    rate the last reply as good, with an optional comment',
  '/bad [TEXT]     rate the last reply as bad, with an optional comment',
  '/help           this list',
  '//text          send a message that starts with "/"',
];

type Input = { kind: 'line'; text: string } | { kind: 'quit' };

const YES = /^(y|yes)$/i;
const NO = /^(n|no)$/i;

class Repl {
  readonly #run: ChatRun;
  readonly #readline: Interface;
  readonly #screen: ReplScreen;
  #session: AgentSession | undefined;
  /** The question the agent asked last, until answered or skipped (`/skip`). */
  #question: ResponseMessage | undefined;
  /** The last reply of the agent, which /good and /bad rate. */
  #lastReply: Turn | undefined;
  #quitting = false;
  #restarting = false;
  /** A session is being opened (its failure is reported by `open`, not as a close). */
  #opening = false;
  /** Quitting dropped a message in flight: the exit code is 130. */
  #dropped = false;
  /** Set once the REPL shut its input: nothing more to quit. */
  #closed = false;
  #ending: Promise<void> | undefined;
  readonly #inputs: Input[] = [];
  #wake: (() => void) | undefined;

  constructor(run: ChatRun) {
    this.#run = run;
    this.#readline = createInterface({
      input: run.stdin,
      output: run.stdout,
      terminal: true,
      historySize: 200,
    });
    this.#screen = new ReplScreen(run.stdout, run.stderr, this.#readline);
    run.onRetry = (notice) => {
      if (this.#screen.spinner.running) this.#screen.spinner.label(describeRetry(notice));
    };
    this.#readline.on('line', (text) => this.#push({ kind: 'line', text }));
    this.#readline.on('SIGINT', () => this.quit('interrupt'));
    this.#readline.on('close', () => this.quit('eof'));
  }

  #push(input: Input): void {
    this.#inputs.push(input);
    this.#wake?.();
  }

  async #next(): Promise<Input> {
    for (;;) {
      const input = this.#inputs.shift();
      if (input) return input;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  /**
   * Ctrl-C, Ctrl-D, a signal or `/end`: end the session, then leave. A second Ctrl-C exits now (a
   * second signal too, see ./interrupt.ts).
   */
  quit(how: 'interrupt' | 'eof' | 'command' | 'signal'): void {
    if (this.#closed) return;
    if (this.#quitting) {
      if (how === 'interrupt') {
        this.#screen.spinner.stop();
        this.#run.stderr.write('\ninterrupted twice: exiting without waiting\n');
        process.exit(130);
      }
      return;
    }
    this.#quitting = true;
    this.#screen.leavePrompt();
    this.#ending = this.#endSession();
    this.#push({ kind: 'quit' });
  }

  async #endSession(): Promise<void> {
    const session = this.#session;
    if (!session || session.state === 'closed') return;
    await this.#end(session);
  }

  /** Ends the session (`UserRequest`) under a spinner, and shows how it ended. */
  async #end(session: AgentSession): Promise<void> {
    const { out, spinner } = this.#screen;
    spinner.start('ending the session');
    try {
      const outcome = await session.end('UserRequest');
      spinner.stop();
      this.#screen.print([
        out.dim(`session ${outcome.sessionId ?? ''} ${describeOutcome(outcome)}`),
      ]);
    } catch (err) {
      spinner.stop();
      this.#screen.print([
        out.red(`✗ ending the session failed: ${describeError(errorInfo(err))}`),
      ]);
    }
  }

  #watch(session: AgentSession): void {
    const screen = this.#screen;
    recordLifecycle(session, this.#run.transcript);
    session.on('state', (e) => {
      if (this.#session !== session) return;
      const line = screen.out.dim(`· ${e.state}`);
      // The end of a turn is shown after the reply it ends, not above it.
      if (e.state === 'awaitingInput' || e.state === 'closed') screen.printOrHold(line);
      else screen.print([line]);
    });
    session.on('session.expired', (e) => {
      const why = e.cause === 'idle' ? 'after being idle' : 'on the server';
      const next = e.turnId !== null ? 'starting a new one' : 'your next message starts a new one';
      screen.notice(`session ${e.sessionId ?? ''} expired ${why}; ${next}`);
    });
    session.on('session.restarted', (e) => {
      screen.notice(
        `new session ${e.sessionId} (restart ${e.restarts}); the conversation goes on and your message is sent again`,
      );
    });
    session.on('turn.stream', (e) => screen.showStreamEvent(e.event));
    session.on('session.closed', (e) => {
      if (this.#quitting || this.#restarting || this.#opening || e.outcome.reason === 'ended') {
        return;
      }
      screen.printOrHold(
        screen.out.yellow(
          `! the session closed: ${describeOutcome(e.outcome)}. Type a message to start a new one, or /end to quit.`,
        ),
      );
    });
  }

  /** Opens a new session and shows the greeting; the exit code when it could not start. */
  async #open(): Promise<number | undefined> {
    const { out, spinner } = this.#screen;
    const { client } = this.#run.connected;
    const session = client.session({ agentId: this.#run.agentId, ...this.#run.sessionOptions });
    this.#session = session;
    this.#question = undefined;
    this.#lastReply = undefined;
    this.#watch(session);
    spinner.start('starting a session');
    const sentAt = new Date();
    this.#screen.holdLines();
    try {
      this.#opening = true;
      const greeting = await session.start();
      spinner.stop();
      this.#run.transcript.greeting(greeting.sessionId, greeting.messages, sentAt, new Date());
      this.#screen.print([
        out.dim(`session ${greeting.sessionId} with agent ${this.#run.agentId}`),
        ...greeting.messages.flatMap((m) => renderMessage(m, out)),
      ]);
      this.#question = greeting.question;
      return undefined;
    } catch (err) {
      spinner.stop();
      const info = errorInfo(err);
      this.#screen.print([out.red(`✗ the session did not start: ${describeError(info)}`)]);
      return exitCodeForSessionError(info, 'start');
    } finally {
      this.#opening = false;
      this.#screen.releaseHeldLines();
    }
  }

  #prompt(): void {
    const question = this.#session?.pendingQuestionId ? this.#question : undefined;
    this.#screen.prompt(
      question?.type === 'Confirm' ? 'yes/no' : question?.type === 'Inquire' ? 'answer' : 'you',
    );
  }

  async #converse(typed: string): Promise<void> {
    const { out, spinner } = this.#screen;
    if (!this.#session || this.#session.state === 'closed') {
      if ((await this.#open()) !== undefined) {
        this.#screen.notice('type a message to try again, or /end to quit');
        return;
      }
    }
    const session = this.#session!;
    let text = typed;
    const options: SendOptions = {};
    const questionId = this.#question ? session.pendingQuestionId : null;
    if (questionId !== null) {
      options.inReplyToMessageId = questionId;
      if (this.#question?.type === 'Confirm') {
        if (YES.test(text)) text = 'yes';
        else if (NO.test(text)) text = 'no';
      }
    }
    const transcript = this.#run.transcript;
    const turnNo = transcript.nextTurn();
    this.#screen.startStreamed();
    spinner.start('the agent is working');
    const sentAt = new Date();
    this.#screen.holdLines();
    const record = (result: Pick<TurnRecord, 'sessionId' | 'sequenceId' | 'messages' | 'error'>) =>
      transcript.turn(
        {
          turn: turnNo,
          text,
          ...(questionId !== null && { inReplyToMessageId: questionId }),
          ...result,
        },
        sentAt,
        new Date(),
      );
    try {
      const turn = await sendTurn(session, text, options, this.#run.stream);
      spinner.stop();
      this.#lastReply = turn;
      record({
        sessionId: turn.sessionId,
        sequenceId: turn.sequenceId ?? null,
        messages: turn.messages,
      });
      if (!this.#run.stream) {
        this.#screen.print(turn.messages.flatMap((m) => renderMessage(m, out)));
      }
      this.#question = turn.question;
    } catch (err) {
      spinner.stop();
      this.#screen.endStreamed();
      const info = errorInfo(err);
      record({ sessionId: session.sessionId, sequenceId: null, messages: [], error: info });
      if (this.#quitting) {
        // The session is ending under this message: say so, and keep showing that it ends.
        this.#dropped = true;
        this.#screen.notice('your message was dropped: no reply will come; ending the session');
        if (this.#ending) spinner.start('ending the session');
        return;
      }
      this.#screen.print([out.red(`✗ ${describeError(info)}`)]);
    } finally {
      this.#screen.releaseHeldLines();
    }
  }

  async #command(line: string): Promise<void> {
    const { out } = this.#screen;
    const print = (lines: string[]) => this.#screen.print(lines);
    const [name, ...args] = line.split(/\s+/);
    switch (name) {
      case '/end':
        this.quit('command');
        return;
      case '/restart': {
        this.#restarting = true;
        const old = this.#session;
        if (old && old.state !== 'closed') await this.#end(old);
        this.#restarting = false;
        await this.#open();
        return;
      }
      case '/skip':
        print([
          out.dim(
            this.#question && this.#session?.pendingQuestionId
              ? 'question skipped: your next message is sent as a new message, not as its answer'
              : 'no question is pending',
          ),
        ]);
        this.#question = undefined;
        return;
      case '/state': {
        const session = this.#session;
        if (!session) return;
        print(stateLines(session, this.#run.agentId, this.#run.connected.myDomainUrl));
        return;
      }
      case '/save': {
        const file = args.join(' ');
        if (file === '') {
          print([out.red('usage: /save FILE')]);
          return;
        }
        try {
          this.#run.transcript.save(file);
          print([out.dim(`saved ${this.#run.transcript.records.length} records to ${file}`)]);
        } catch (err) {
          print([out.red(`✗ cannot save to ${file}: ${(err as Error).message}`)]);
        }
        return;
      }
      case '/good':
      case '/bad': {
        const rating = name === '/good' ? 'GOOD' : 'BAD';
        const session = this.#session;
        if (!session || !this.#lastReply) {
          print([out.red('no reply to rate yet')]);
          return;
        }
        const comment = args.join(' ').trim();
        try {
          await session.feedback(this.#lastReply, rating, comment === '' ? {} : { text: comment });
          print([out.dim(`feedback sent: ${rating}${comment === '' ? '' : ` "${comment}"`}`)]);
        } catch (err) {
          print([out.red(`✗ feedback failed: ${describeError(errorInfo(err))}`)]);
        }
        return;
      }
      case '/help':
        print(REPL_HELP.map((help) => out.dim(help)));
        return;
      default:
        print([out.red(`unknown command ${name ?? ''}; /help lists them`)]);
    }
  }

  async main(): Promise<number> {
    this.#screen.print([
      this.#screen.out.dim(
        'Type a message and press Enter. /help lists the commands; Ctrl-C or /end quits.',
      ),
    ]);
    const failed = await this.#open();
    if (failed !== undefined || this.#quitting) {
      // Interrupted while starting: the session is ended once it has started.
      await this.#ending;
      return failed ?? 130;
    }
    while (!this.#quitting) {
      this.#prompt();
      const input = await this.#next();
      this.#screen.promptTaken();
      if (input.kind === 'quit') break;
      const line = input.text.trim();
      if (line === '') continue;
      if (line.startsWith('/') && !line.startsWith('//')) await this.#command(line);
      else await this.#converse(line.startsWith('//') ? line.slice(1) : line);
    }
    this.#ending ??= this.#endSession();
    await this.#ending;
    return this.#dropped ? 130 : EXIT.ok;
  }

  close(): void {
    this.#closed = true;
    this.#screen.spinner.stop();
    this.#readline.close();
  }
}

/** Runs the interactive chat; resolves with the exit code. */
export async function runRepl(run: ChatRun): Promise<number> {
  const repl = new Repl(run);
  // A signal ends the session like Ctrl-C; main() exits 128 + the signal number.
  const stopListening = whenInterrupted(() => repl.quit('signal'));
  try {
    return await repl.main();
  } finally {
    stopListening();
    repl.close();
  }
}
