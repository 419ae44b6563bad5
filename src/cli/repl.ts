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
import { clearLine, createInterface, cursorTo, type Interface } from 'node:readline';
import type { AgentSession, ResponseMessage, SendOptions, StreamEvent, Turn } from '../index.js';
import { sendTurn, type ChatRun } from './batch.js';
import { recordLifecycle } from './events.js';
import { EXIT, exitCodeForSessionError } from './exit-codes.js';
import { whenInterrupted } from './interrupt.js';
import {
  colorFor,
  describeError,
  describeRetry,
  errorInfo,
  styles,
  type Styles,
} from './output.js';
import { describeOutcome, renderExtras, renderMessage } from './render.js';
import { Spinner } from './spinner.js';

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
  readonly s: Styles;
  readonly err: Styles;
  readonly spinner: Spinner;
  readonly rl: Interface;
  session: AgentSession | undefined;
  /** The question the agent asked last, until answered or skipped (`/skip`). */
  question: ResponseMessage | undefined;
  /** The last reply of the agent, which /good and /bad rate. */
  lastReply: Turn | undefined;
  promptShown = false;
  quitting = false;
  restarting = false;
  /** A session is being opened (its failure is reported by `open`, not as a close). */
  opening = false;
  /** Quitting dropped a message in flight: the exit code is 130. */
  dropped = false;
  /** Set once the REPL shut its input: nothing more to quit. */
  closed = false;
  ending: Promise<void> | undefined;
  readonly inputs: Input[] = [];
  wake: (() => void) | undefined;
  /** Text streamed since the last complete message. */
  streamed = '';
  /** State lines held back while a request is in flight. */
  deferred: string[] | undefined;

  constructor(readonly run: ChatRun) {
    this.s = styles(colorFor(run.stdout));
    this.err = styles(colorFor(run.stderr));
    this.spinner = new Spinner(run.stderr, this.err.dim);
    run.onRetry = (notice) => {
      if (this.spinner.running) this.spinner.label(describeRetry(notice));
    };
    this.rl = createInterface({
      input: run.stdin,
      output: run.stdout,
      terminal: true,
      historySize: 200,
    });
    this.rl.on('line', (text) => this.push({ kind: 'line', text }));
    this.rl.on('SIGINT', () => this.quit('interrupt'));
    this.rl.on('close', () => this.quit('eof'));
  }

  push(input: Input): void {
    this.inputs.push(input);
    this.wake?.();
  }

  async next(): Promise<Input> {
    for (;;) {
      const input = this.inputs.shift();
      if (input) return input;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** Prints lines above the prompt (or the spinner), and puts the prompt back. */
  print(lines: string[]): void {
    if (lines.length === 0) return;
    this.spinner.clear();
    if (this.promptShown) {
      clearLine(this.run.stdout, 0);
      cursorTo(this.run.stdout, 0);
    }
    this.run.stdout.write(lines.map((l) => `${l}\n`).join(''));
    if (this.promptShown) this.rl.prompt(true);
  }

  notice(text: string): void {
    this.print([this.s.yellow(`! ${text}`)]);
  }

  /**
   * Ctrl-C, Ctrl-D, a signal or `/end`: end the session, then leave. A second Ctrl-C exits now (a
   * second signal too, see ./interrupt.ts).
   */
  quit(how: 'interrupt' | 'eof' | 'command' | 'signal'): void {
    if (this.closed) return;
    if (this.quitting) {
      if (how === 'interrupt') {
        this.spinner.stop();
        this.run.stderr.write('\ninterrupted twice: exiting without waiting\n');
        process.exit(130);
      }
      return;
    }
    this.quitting = true;
    if (this.promptShown) this.run.stdout.write('\n');
    this.promptShown = false;
    this.ending = this.endSession();
    this.push({ kind: 'quit' });
  }

  async endSession(): Promise<void> {
    const session = this.session;
    if (!session || session.state === 'closed') return;
    this.spinner.start('ending the session');
    try {
      const outcome = await session.end('UserRequest');
      this.spinner.stop();
      this.print([this.s.dim(`session ${outcome.sessionId ?? ''} ${describeOutcome(outcome)}`)]);
    } catch (err) {
      this.spinner.stop();
      this.print([this.s.red(`✗ ending the session failed: ${describeError(errorInfo(err))}`)]);
    }
  }

  watch(session: AgentSession): void {
    recordLifecycle(session, this.run.transcript);
    session.on('state', (e) => {
      if (this.session !== session) return;
      const line = this.s.dim(`· ${e.state}`);
      // The end of a turn is shown after the reply it ends, not above it.
      if (this.deferred && (e.state === 'awaitingInput' || e.state === 'closed')) {
        this.deferred.push(line);
      } else {
        this.print([line]);
      }
    });
    session.on('session.expired', (e) => {
      const why = e.cause === 'idle' ? 'after being idle' : 'on the server';
      const next = e.turnId !== null ? 'starting a new one' : 'your next message starts a new one';
      this.notice(`session ${e.sessionId ?? ''} expired ${why}; ${next}`);
    });
    session.on('session.restarted', (e) => {
      this.notice(
        `new session ${e.sessionId} (restart ${e.restarts}); the conversation goes on and your message is sent again`,
      );
    });
    session.on('turn.stream', (e) => this.onStream(e.event));
    session.on('session.closed', (e) => {
      if (this.quitting || this.restarting || this.opening || e.outcome.reason === 'ended') return;
      const line = this.s.yellow(
        `! the session closed: ${describeOutcome(e.outcome)}. Type a message to start a new one, or /end to quit.`,
      );
      if (this.deferred) this.deferred.push(line);
      else this.print([line]);
    });
  }

  /** Opens a new session and shows the greeting; false when it could not start. */
  async open(): Promise<number | undefined> {
    const { client } = this.run.connected;
    const session = client.session({ agentId: this.run.agentId, ...this.run.sessionOptions });
    this.session = session;
    this.question = undefined;
    this.lastReply = undefined;
    this.watch(session);
    this.spinner.start('starting a session');
    const sentAt = new Date();
    this.deferred = [];
    try {
      this.opening = true;
      const greeting = await session.start();
      this.spinner.stop();
      this.run.transcript.greeting(greeting.sessionId, greeting.messages, sentAt, new Date());
      this.print([
        this.s.dim(`session ${greeting.sessionId} with agent ${this.run.agentId}`),
        ...greeting.messages.flatMap((m) => renderMessage(m, this.s)),
      ]);
      this.question = greeting.question;
      return undefined;
    } catch (err) {
      this.spinner.stop();
      const info = errorInfo(err);
      this.print([this.s.red(`✗ the session did not start: ${describeError(info)}`)]);
      return exitCodeForSessionError(info, 'start');
    } finally {
      this.opening = false;
      this.flushStates();
    }
  }

  flushStates(): void {
    const lines = this.deferred ?? [];
    this.deferred = undefined;
    this.print(lines);
  }

  prompt(): void {
    const q = this.session?.pendingQuestionId ? this.question : undefined;
    const label = q?.type === 'Confirm' ? 'yes/no' : q?.type === 'Inquire' ? 'answer' : 'you';
    this.rl.setPrompt(this.s.bold(`${label} › `));
    this.promptShown = true;
    this.rl.prompt(true); // keeps the cursor after anything typed ahead
  }

  onStream(event: StreamEvent): void {
    const out = this.run.stdout;
    switch (event.kind) {
      case 'progress': {
        const text = event.message['message'];
        if (typeof text === 'string' && text !== '' && this.streamed === '')
          this.spinner.label(text);
        break;
      }
      case 'delta':
        if (this.spinner.running) this.spinner.stop();
        out.write(event.text);
        this.streamed += event.text;
        break;
      case 'validation-failure':
        if (this.spinner.running) this.spinner.stop();
        out.write(
          `${this.streamed === '' ? '' : '\n'}${this.s.yellow(`↺ replaced: ${event.reason ?? 'the text failed validation'}`)}\n`,
        );
        this.streamed = '';
        break;
      case 'message': {
        const shown = this.streamed !== '' && event.message.type === 'Inform';
        if (this.streamed !== '') out.write('\n');
        this.streamed = '';
        this.print(
          shown ? renderExtras(event.message, this.s) : renderMessage(event.message, this.s),
        );
        break;
      }
      case 'end-of-turn':
        if (this.streamed !== '') out.write('\n');
        this.streamed = '';
        break;
    }
  }

  async converse(typed: string): Promise<void> {
    if (!this.session || this.session.state === 'closed') {
      if ((await this.open()) !== undefined) {
        this.notice('type a message to try again, or /end to quit');
        return;
      }
    }
    const session = this.session!;
    let text = typed;
    const options: SendOptions = {};
    const questionId = this.question ? session.pendingQuestionId : null;
    if (questionId !== null) {
      options.inReplyToMessageId = questionId;
      if (this.question?.type === 'Confirm') {
        if (YES.test(text)) text = 'yes';
        else if (NO.test(text)) text = 'no';
      }
    }
    const turnNo = this.run.transcript.nextTurn();
    this.streamed = '';
    this.spinner.start('the agent is working');
    const sentAt = new Date();
    this.deferred = [];
    try {
      const turn = await sendTurn(session, text, options, this.run.stream);
      this.spinner.stop();
      this.lastReply = turn;
      this.run.transcript.turn(
        {
          turn: turnNo,
          text,
          ...(questionId !== null && { inReplyToMessageId: questionId }),
          sessionId: turn.sessionId,
          sequenceId: turn.sequenceId ?? null,
          messages: turn.messages,
        },
        sentAt,
        new Date(),
      );
      if (!this.run.stream) this.print(turn.messages.flatMap((m) => renderMessage(m, this.s)));
      this.question = turn.question;
    } catch (err) {
      this.spinner.stop();
      if (this.streamed !== '') this.run.stdout.write('\n');
      this.streamed = '';
      const info = errorInfo(err);
      this.run.transcript.turn(
        {
          turn: turnNo,
          text,
          ...(questionId !== null && { inReplyToMessageId: questionId }),
          sessionId: session.sessionId,
          sequenceId: null,
          messages: [],
          error: info,
        },
        sentAt,
        new Date(),
      );
      if (this.quitting) {
        // The session is ending under this message: say so, and keep showing that it ends.
        this.dropped = true;
        this.notice('your message was dropped: no reply will come; ending the session');
        if (this.ending) this.spinner.start('ending the session');
        return;
      }
      this.print([this.s.red(`✗ ${describeError(info)}`)]);
    } finally {
      this.flushStates();
    }
  }

  async command(line: string): Promise<void> {
    const [name, ...args] = line.split(/\s+/);
    switch (name) {
      case '/end':
        this.quit('command');
        return;
      case '/restart': {
        this.restarting = true;
        const old = this.session;
        if (old && old.state !== 'closed') {
          this.spinner.start('ending the session');
          try {
            const outcome = await old.end('UserRequest');
            this.spinner.stop();
            this.print([
              this.s.dim(`session ${outcome.sessionId ?? ''} ${describeOutcome(outcome)}`),
            ]);
          } catch (err) {
            this.spinner.stop();
            this.print([
              this.s.red(`✗ ending the session failed: ${describeError(errorInfo(err))}`),
            ]);
          }
        }
        this.restarting = false;
        await this.open();
        return;
      }
      case '/skip':
        this.print([
          this.s.dim(
            this.question && this.session?.pendingQuestionId
              ? 'question skipped: your next message is sent as a new message, not as its answer'
              : 'no question is pending',
          ),
        ]);
        this.question = undefined;
        return;
      case '/state': {
        const session = this.session;
        if (!session) return;
        const ctx = session.actor.getSnapshot().context;
        this.print([
          `state      ${session.state}`,
          `session    ${session.sessionId ?? '-'}`,
          `agent      ${this.run.agentId}`,
          `target     ${this.run.connected.myDomainUrl}`,
          `question   ${session.pendingQuestionId ?? '-'}`,
          `sequence   ${ctx.lastSequenceId}`,
          `restarts   ${ctx.restarts}/${ctx.maxRestarts} (on expiry: ${ctx.expiryPolicy})`,
          ...(session.outcome ? [`outcome    ${describeOutcome(session.outcome)}`] : []),
        ]);
        return;
      }
      case '/save': {
        const file = args.join(' ');
        if (file === '') {
          this.print([this.s.red('usage: /save FILE')]);
          return;
        }
        try {
          this.run.transcript.save(file);
          this.print([
            this.s.dim(`saved ${this.run.transcript.records.length} records to ${file}`),
          ]);
        } catch (err) {
          this.print([this.s.red(`✗ cannot save to ${file}: ${(err as Error).message}`)]);
        }
        return;
      }
      case '/good':
      case '/bad': {
        const rating = name === '/good' ? 'GOOD' : 'BAD';
        const session = this.session;
        if (!session || !this.lastReply) {
          this.print([this.s.red('no reply to rate yet')]);
          return;
        }
        const comment = args.join(' ').trim();
        try {
          await session.feedback(this.lastReply, rating, comment === '' ? {} : { text: comment });
          this.print([
            this.s.dim(`feedback sent: ${rating}${comment === '' ? '' : ` "${comment}"`}`),
          ]);
        } catch (err) {
          this.print([this.s.red(`✗ feedback failed: ${describeError(errorInfo(err))}`)]);
        }
        return;
      }
      case '/help':
        this.print(REPL_HELP.map((l) => this.s.dim(l)));
        return;
      default:
        this.print([this.s.red(`unknown command ${name ?? ''}; /help lists them`)]);
    }
  }

  async main(): Promise<number> {
    this.print([
      this.s.dim('Type a message and press Enter. /help lists the commands; Ctrl-C or /end quits.'),
    ]);
    const failed = await this.open();
    if (failed !== undefined || this.quitting) {
      // Interrupted while starting: the session is ended once it has started.
      await this.ending;
      return failed ?? 130;
    }
    while (!this.quitting) {
      this.prompt();
      const input = await this.next();
      this.promptShown = false;
      if (input.kind === 'quit') break;
      const line = input.text.trim();
      if (line === '') continue;
      if (line.startsWith('/') && !line.startsWith('//')) await this.command(line);
      else await this.converse(line.startsWith('//') ? line.slice(1) : line);
    }
    this.ending ??= this.endSession();
    await this.ending;
    return this.dropped ? 130 : EXIT.ok;
  }

  close(): void {
    this.closed = true;
    this.spinner.stop();
    this.rl.close();
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
