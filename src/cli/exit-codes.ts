/**
 * Exit codes of the CLI, and how a failure maps to one. Documented in docs/cli.md; scripts and CI
 * branch on them, so they only ever gain new values.
 */
import type { ErrorCode, ErrorInfo } from '../index.js';
import { interrupted } from './interrupt.js';

export const EXIT = {
  /** Everything asked was done: every message got a reply. */
  ok: 0,
  /** Some message failed (or `replay` found differences; `end --all` had failures), but the session survived. */
  failure: 1,
  /** Bad flags, arguments or environment: nothing was sent. */
  usage: 2,
  /** The credentials were refused (token endpoint or a 401 after one refresh). */
  authentication: 3,
  /** The agent or the configuration is wrong: not found, refused at start, no permission, unprocessable. */
  configuration: 4,
  /** The session could not go on: it failed, expired or was ended by the server while messages remained. */
  session: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A usage error: reported as `agentforce-session: <message>` with exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Ends the command with an exit code, after the command has already said why. */
export class ExitError extends Error {
  override name = 'ExitError';
  constructor(
    readonly exitCode: number,
    message = `exit ${exitCode}`,
  ) {
    super(message);
  }
}

const CONFIGURATION: ReadonlySet<ErrorCode> = new Set([
  'not_found',
  'permission_denied',
  'unprocessable',
]);

/**
 * The exit code of a failure that stopped a session (or kept it from starting).
 *
 * @param phase - `start` when no server session was ever opened: a `bad_request` there is a
 *   configuration error (a refused agent id or endpoint); later it is a failed session.
 */
export function exitCodeForSessionError(
  error: Pick<ErrorInfo, 'code'>,
  phase: 'start' | 'conversation',
): ExitCode {
  if (error.code === 'invalid_argument') return EXIT.usage;
  if (error.code === 'authentication') return EXIT.authentication;
  if (CONFIGURATION.has(error.code)) return EXIT.configuration;
  if (error.code === 'bad_request' && phase === 'start') return EXIT.configuration;
  return EXIT.session;
}

/** Keeps the worst (highest-priority) of two exit codes: configuration beats session beats failure. */
export function worstExit(a: number, b: number): number {
  const rank = (c: number) =>
    c === EXIT.ok ? 0 : c === EXIT.failure ? 1 : c === EXIT.session ? 2 : 3 + c;
  return rank(b) > rank(a) ? b : a;
}

/**
 * Sets the exit code of a command that has finished its work. Everything it opened is closed by
 * then; should a stray handle keep the process alive anyway, it exits after a grace period
 * rather than hang a script.
 */
export function finish(code: number, graceMs = 3000): void {
  process.exitCode = interrupted()?.code ?? code;
  setTimeout(() => process.exit(interrupted()?.code ?? code), graceMs).unref();
}
