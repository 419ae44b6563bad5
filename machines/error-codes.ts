/** Which error codes end a session, and after which of them the server session still exists. */
import type { ErrorCode } from './session.types.js';

/** Errors that no retry or new session can fix: credentials, permissions, configuration. */
export const FATAL_CODES: ReadonlySet<ErrorCode> = new Set([
  'authentication',
  'permission_denied',
  'not_found',
  'bad_request',
  'unprocessable',
  'invalid_argument',
  'internal',
]);

/**
 * Fatal codes after which the server session still exists and a DELETE may reach it. A 401 that
 * survived a token refresh is one: the DELETE fetches a token again (a revoked one is refused
 * again, a token refused once is not). A 404 from a wrong host is not: the DELETE would go there.
 */
export const SESSION_OUTLIVES_CODES: ReadonlySet<ErrorCode> = new Set([
  'authentication',
  'permission_denied',
  'bad_request',
  'unprocessable',
  'internal',
]);
