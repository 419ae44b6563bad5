/**
 * What the chat REPL shows: lines printed above the prompt (or the spinner), the prompt, state
 * lines held back while a request is in flight, and streamed text as it arrives.
 */
import { clearLine, cursorTo, type Interface } from 'node:readline';
import type { Writable } from 'node:stream';
import type { AgentSession, StreamEvent } from '../index.js';
import { colorFor, styles, type Styles } from './output.js';
import { describeOutcome, renderExtras, renderMessage } from './render.js';
import { Spinner } from './spinner.js';

export class ReplScreen {
  /** Styles of standard output. */
  readonly out: Styles;
  /** Styles of standard error. */
  readonly errStyles: Styles;
  readonly spinner: Spinner;
  readonly #stdout: Writable;
  readonly #readline: Interface;
  #promptShown = false;
  /** Text streamed since the last complete message. */
  #streamed = '';
  /** State lines held back while a request is in flight. */
  #heldLines: string[] | undefined;

  constructor(stdout: Writable, stderr: Writable, readline: Interface) {
    this.#stdout = stdout;
    this.#readline = readline;
    this.out = styles(colorFor(stdout));
    this.errStyles = styles(colorFor(stderr));
    this.spinner = new Spinner(stderr, this.errStyles.dim);
  }

  /** Prints lines above the prompt (or the spinner), and puts the prompt back. */
  print(lines: string[]): void {
    if (lines.length === 0) return;
    this.spinner.clear();
    if (this.#promptShown) {
      clearLine(this.#stdout, 0);
      cursorTo(this.#stdout, 0);
    }
    this.#stdout.write(lines.map((line) => `${line}\n`).join(''));
    if (this.#promptShown) this.#readline.prompt(true);
  }

  notice(text: string): void {
    this.print([this.out.yellow(`! ${text}`)]);
  }

  /** Shows the prompt `label › `, keeping the cursor after anything typed ahead. */
  prompt(label: string): void {
    this.#readline.setPrompt(this.out.bold(`${label} › `));
    this.#promptShown = true;
    this.#readline.prompt(true);
  }

  /** A line was entered: the prompt is gone. */
  promptTaken(): void {
    this.#promptShown = false;
  }

  /** Leaves the prompt line (on quitting), so what follows starts on a line of its own. */
  leavePrompt(): void {
    if (this.#promptShown) this.#stdout.write('\n');
    this.#promptShown = false;
  }

  /** From now until {@link releaseHeldLines}, {@link printOrHold} holds its lines back. */
  holdLines(): void {
    this.#heldLines = [];
  }

  /** Prints a line, or holds it back while a request is in flight (shown after its reply). */
  printOrHold(line: string): void {
    if (this.#heldLines) this.#heldLines.push(line);
    else this.print([line]);
  }

  releaseHeldLines(): void {
    const lines = this.#heldLines ?? [];
    this.#heldLines = undefined;
    this.print(lines);
  }

  /** A new reply starts: no text streamed yet. */
  startStreamed(): void {
    this.#streamed = '';
  }

  /** Ends the line of streamed text, if any. */
  endStreamed(): void {
    if (this.#streamed !== '') this.#stdout.write('\n');
    this.#streamed = '';
  }

  /** Shows one event of a streamed reply. */
  showStreamEvent(event: StreamEvent): void {
    switch (event.kind) {
      case 'progress': {
        const text = event.message['message'];
        if (typeof text === 'string' && text !== '' && this.#streamed === '') {
          this.spinner.label(text);
        }
        break;
      }
      case 'delta':
        if (this.spinner.running) this.spinner.stop();
        this.#stdout.write(event.text);
        this.#streamed += event.text;
        break;
      case 'validation-failure':
        if (this.spinner.running) this.spinner.stop();
        this.#stdout.write(
          `${this.#streamed === '' ? '' : '\n'}${this.out.yellow(`↺ replaced: ${event.reason ?? 'the text failed validation'}`)}\n`,
        );
        this.#streamed = '';
        break;
      case 'message': {
        const shown = this.#streamed !== '' && event.message.type === 'Inform';
        this.endStreamed();
        this.print(
          shown ? renderExtras(event.message, this.out) : renderMessage(event.message, this.out),
        );
        break;
      }
      case 'end-of-turn':
        this.endStreamed();
        break;
    }
  }
}

/** What `/state` shows of the session. */
export function stateLines(session: AgentSession, agentId: string, target: string): string[] {
  const context = session.actor.getSnapshot().context;
  return [
    `state      ${session.state}`,
    `session    ${session.sessionId ?? '-'}`,
    `agent      ${agentId}`,
    `target     ${target}`,
    `question   ${session.pendingQuestionId ?? '-'}`,
    `sequence   ${context.lastSequenceId}`,
    `restarts   ${context.restarts}/${context.maxRestarts} (on expiry: ${context.expiryPolicy})`,
    ...(session.outcome ? [`outcome    ${describeOutcome(session.outcome)}`] : []),
  ];
}
