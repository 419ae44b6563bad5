/**
 * Reading the payload of the machine's internal events (`xstate.done.actor.*`,
 * `xstate.error.actor.*`), whose types the chart cannot narrow.
 */
import { toErrorInfo } from '../src/error-info.js';
import type { ErrorCode, ErrorInfo } from './session.types.js';

/** Reads the error of an `xstate.error.actor.*` event as JSON, whatever was thrown. */
export function errorInfoOf(event: unknown): ErrorInfo {
  return toErrorInfo((event as { error?: unknown }).error);
}

/** The code of the error of an `xstate.error.actor.*` event. */
export function errorCodeOf(event: unknown): ErrorCode {
  return errorInfoOf(event).code;
}

/** The output of an `xstate.done.actor.*` event. */
export function outputOf<T>(event: unknown): T {
  return (event as { output: T }).output;
}
