/**
 * Where the CLI writes: JSON lines and human text on stdout, diagnostics on stderr, colours only
 * on a terminal (and never with `NO_COLOR`).
 */
import type { Writable } from 'node:stream';
import type { ErrorInfo, RetryNotice } from '../index.js';
import { toErrorInfo } from '../error-info.js';

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

/** Library options named in error messages, and the CLI flag that sets each. */
const FLAGS: Readonly<Record<string, string>> = {
  agentId: '--agent-id',
  myDomainUrl: '--my-domain',
  apiBaseUrl: '--api-base',
  variables: '--var',
  idleTimeoutMs: '--idle-timeout',
  onExpiry: '--on-expiry',
  maxRestarts: '--max-restarts',
};
const OPTION = new RegExp(`\\b(?:sessionDefaults\\.)?(${Object.keys(FLAGS).join('|')})\\b`, 'g');

/**
 * A library message in the CLI's terms: options become the flags that set them
 * (`agentId` → `--agent-id`); an option the CLI has no flag for is not named.
 */
export function inCliTerms(message: string): string {
  return message
    .replace(/ \(maxMessageLength\)/g, '')
    .replace(/^text is /, 'the message is ')
    .replace(OPTION, (_, option: string) => FLAGS[option] ?? option);
}

/** The JSON projection of any error, in the CLI's terms (flags, not library options). */
export function errorInfo(err: unknown): ErrorInfo {
  const info = toErrorInfo(err);
  return info.code === 'invalid_argument' ? { ...info, message: inCliTerms(info.message) } : info;
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

/** Why a request is repeated, in words, by cause: `rate limited (429): retry 1 in 4 s`. */
export function describeRetry(notice: RetryNotice): string {
  const { error } = notice;
  const seconds = Math.max(1, Math.round(notice.delayMs / 1000));
  const why =
    error.status === 429
      ? 'rate limited (429)'
      : error.status === 423
        ? 'the session is busy with another request (423)'
        : error.status === 503
          ? 'the server is unavailable (503)'
          : error.status !== undefined
            ? `the server failed (${error.status})`
            : error.code === 'timeout'
              ? 'no answer in time'
              : error.code === 'connection'
                ? `connection failed (${causeCode(error) ?? 'network'})`
                : error.code;
  return `${why}: retry ${notice.attempt} in ${seconds} s`;
}

/** The system error code (`ECONNREFUSED`, …) behind a connection failure, when known. */
export function causeCode(error: ErrorInfo): string | undefined {
  return /\b(E[A-Z_]{3,})\b/.exec(error.message)?.[1];
}
