/**
 * Errors as plain JSON and back: the projection that machine events, snapshots and the CLI carry
 * (`toErrorInfo`), and the typed error rebuilt from it (`errorFromInfo`).
 */
import {
  AgentforceError,
  ConnectionError,
  AbortError,
  AgentInactiveError,
  AgentNotAttachedError,
  AgentNotFoundError,
  ApiError,
  AuthenticationError,
  BadRequestError,
  BypassUserError,
  EndpointConfigError,
  InternalServerError,
  InvalidArgumentError,
  MalformedResponseError,
  NotFoundError,
  PermissionDeniedError,
  QueueFullError,
  RateLimitError,
  ServiceUnavailableError,
  SessionBusyError,
  SessionClosedError,
  SessionExpiredError,
  SessionNotFoundError,
  SnapshotVersionError,
  TimeoutError,
  TokenFormatError,
  UnprocessableError,
  type ErrorCode,
  type ErrorFields,
  type ErrorInfo,
} from './errors.js';

/** The classes {@link errorFromInfo} rebuilds by name; any other name becomes an AgentforceError. */
const byName: Record<string, new (message: string, fields: ErrorFields) => AgentforceError> =
  Object.fromEntries(
    [
      ApiError,
      BadRequestError,
      AuthenticationError,
      PermissionDeniedError,
      NotFoundError,
      SessionNotFoundError,
      UnprocessableError,
      SessionBusyError,
      RateLimitError,
      InternalServerError,
      ServiceUnavailableError,
      BypassUserError,
      AgentNotAttachedError,
      AgentInactiveError,
      AgentNotFoundError,
      EndpointConfigError,
      TokenFormatError,
      TimeoutError,
      AbortError,
      MalformedResponseError,
      SessionClosedError,
      SessionExpiredError,
      QueueFullError,
      InvalidArgumentError,
      SnapshotVersionError,
    ].map((Class) => [Class.name, Class]),
  );

/** Rebuilds a typed error from its JSON projection (e.g. from a machine event or a snapshot). */
export function errorFromInfo(info: ErrorInfo): AgentforceError {
  const fields = {
    code: info.code,
    status: info.status,
    requestId: info.requestId,
    retryAfterMs: info.retryAfterMs,
    hint: info.hint,
  };
  if (info.name === 'ConnectionError') {
    return new ConnectionError(info.message, info.mayHaveReachedServer ?? true, fields);
  }
  const Class = byName[info.name] ?? AgentforceError;
  return new Class(info.message, fields);
}

/**
 * Projects anything thrown to plain JSON: an error of this library (or anything with a `toJSON`
 * and a string `code`) as its own projection, another error with its name, message and string
 * `code` if it has one (else `internal`), any other value as its string.
 */
export function toErrorInfo(thrown: unknown): ErrorInfo {
  if (thrown === null || typeof thrown !== 'object') {
    return { name: 'Error', code: 'internal', message: String(thrown) };
  }
  const error = thrown as Partial<Record<keyof ErrorInfo | 'toJSON', unknown>>;
  if (typeof error.toJSON === 'function' && typeof error.code === 'string') {
    return (error.toJSON as () => ErrorInfo)();
  }
  if (typeof error.message !== 'string') {
    return { name: 'Error', code: 'internal', message: Object.prototype.toString.call(thrown) };
  }
  const info: ErrorInfo = {
    name: typeof error.name === 'string' ? error.name : 'Error',
    code: typeof error.code === 'string' ? (error.code as ErrorCode) : 'internal',
    message: error.message,
  };
  if (typeof error.status === 'number') info.status = error.status;
  if (typeof error.requestId === 'string') info.requestId = error.requestId;
  if (typeof error.retryAfterMs === 'number') info.retryAfterMs = error.retryAfterMs;
  if (typeof error.hint === 'string') info.hint = error.hint;
  if (typeof error.mayHaveReachedServer === 'boolean') {
    info.mayHaveReachedServer = error.mayHaveReachedServer;
  }
  return info;
}
