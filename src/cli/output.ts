/**
 * Where the CLI writes: JSON lines and human text on stdout, diagnostics on stderr, colours only
 * on a terminal (and never with `NO_COLOR`).
 */
import type { Writable } from 'node:stream';
import type { ErrorInfo } from '../index.js';

/** Terminal styles; identity functions when colour is off. */
export interface Styles {
  dim: (text: string) => string;
  bold: (text: string) => string;
  red: (text: string) => string;
  green: (text: string) => string;
  yellow: (text: string) => string;
  cyan: (text: string) => string;
  magenta: (text: string) => string;
}

const plain = (text: string) => text;
const ansi = (open: number, close: number) => (text: string) =>
  `\u001b[${open}m${text}\u001b[${close}m`;

/** Whether to colour a stream: a TTY, and neither `NO_COLOR` nor `TERM=dumb`. */
export function colorFor(stream: Writable, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0') return true;
  if (env['TERM'] === 'dumb') return false;
  return (stream as { isTTY?: boolean }).isTTY === true;
}

export function styles(enabled: boolean): Styles {
  if (!enabled) {
    return {
      dim: plain,
      bold: plain,
      red: plain,
      green: plain,
      yellow: plain,
      cyan: plain,
      magenta: plain,
    };
  }
  return {
    dim: ansi(2, 22),
    bold: ansi(1, 22),
    red: ansi(31, 39),
    green: ansi(32, 39),
    yellow: ansi(33, 39),
    cyan: ansi(36, 39),
    magenta: ansi(35, 39),
  };
}

/** Writes one JSON object per line. */
export class JsonLines {
  constructor(private readonly out: Writable) {}

  write(event: Record<string, unknown> & { type: string }): void {
    this.out.write(`${JSON.stringify({ ...event, at: new Date().toISOString() })}\n`);
  }
}

/** Diagnostics on stderr, prefixed with the program name. */
export function warn(message: string, err: Writable = process.stderr): void {
  err.write(`agentforce-session: ${message}\n`);
}

/** One line describing an error for a human. */
export function describeError(error: ErrorInfo): string {
  const status = error.status !== undefined ? ` (HTTP ${error.status})` : '';
  const request = error.requestId !== undefined ? ` [request ${error.requestId}]` : '';
  const retry =
    error.retryAfterMs !== undefined
      ? `; the server asks to retry after ${Math.ceil(error.retryAfterMs / 1000)} s`
      : '';
  return `${error.code}: ${error.message}${status}${request}${retry}`;
}
