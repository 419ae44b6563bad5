/** The errors the machine itself fails messages with (the others come from the requests). */
import type { ErrorInfo } from './session.types.js';

/** The caller cancelled the message. */
export const cancelledError: ErrorInfo = {
  name: 'AbortError',
  code: 'aborted',
  message: 'the message was cancelled by the caller',
};

/** The session expired and was not restarted. */
export const expiredError: ErrorInfo = {
  name: 'SessionExpiredError',
  code: 'session_expired',
  message: 'the session expired',
};

/** The session closed (or is closing) before the message could go out. */
export const closedError = (message: string): ErrorInfo => ({
  name: 'SessionClosedError',
  code: 'session_closed',
  message,
});
