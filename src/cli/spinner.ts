/**
 * A one-line spinner on a terminal stream: drawn in place with a carriage return, erased before
 * anything else is printed, so it never leaves residue in the conversation.
 */
import type { Writable } from 'node:stream';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\u001b[2K';

export class Spinner {
  #timer: NodeJS.Timeout | undefined;
  #frame = 0;
  #label = '';
  #since = 0;
  #drawn = false;

  constructor(
    private readonly out: Writable,
    private readonly style: (text: string) => string = (t) => t,
  ) {}

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Starts (or relabels) the spinner. */
  start(label: string): void {
    this.#label = label;
    if (this.#timer !== undefined) return;
    this.#since = Date.now();
    this.#draw();
    this.#timer = setInterval(() => this.#draw(), 80);
  }

  /** Changes the label of a running spinner. */
  label(label: string): void {
    this.#label = label;
  }

  /** Erases the spinner line, leaving it running (it is drawn again on the next tick). */
  clear(): void {
    if (this.#drawn) this.out.write(CLEAR_LINE);
    this.#drawn = false;
  }

  /** Stops and erases the spinner. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.clear();
  }

  #draw(): void {
    const frame = FRAMES[this.#frame++ % FRAMES.length] ?? '';
    const seconds = ((Date.now() - this.#since) / 1000).toFixed(1);
    const room = columnsOf(this.out) - 1 - `${frame}  ${seconds}s`.length;
    this.out.write(`${CLEAR_LINE}${this.style(`${frame} ${cut(this.#label, room)} ${seconds}s`)}`);
    this.#drawn = true;
  }
}

/** The width of a terminal stream (no limit for a stream that is not a terminal). */
function columnsOf(out: Writable): number {
  const columns = (out as { columns?: number }).columns;
  return typeof columns === 'number' && columns > 0 ? columns : Infinity;
}

/**
 * Cuts a label to `room` characters: a spinner line that wraps cannot be erased in place, and
 * every redraw would leave one more line behind.
 */
function cut(label: string, room: number): string {
  const chars = [...label];
  if (chars.length <= room) return label;
  return room < 1 ? '' : `${chars.slice(0, room - 1).join('')}…`;
}
