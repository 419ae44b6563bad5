import type { ErrorInfo, ErrorCode } from '../machines/session.types.js';

export type { ErrorInfo, ErrorCode };

/** Fields shared by every error this library throws. */
interface ErrorFields {
  /** HTTP status of the reply that failed, when there was one. */
  status?: number | undefined;
  /** Request id from the `X-Request-ID` header or the error body, for Salesforce support. */
  requestId?: string | undefined;
  /** The parsed error body, as the server sent it (never a request header or a token). */
  body?: unknown;
  /** Milliseconds the server asked us to wait (`Retry-After`), when it said. */
  retryAfterMs?: number | undefined;
  /** The underlying failure (a socket error, a parse error). Never an object holding a token. */
  cause?: unknown;
}

/**
 * Base class of every error thrown by agentforce-session. Check with `instanceof` or, across
 * realms and package copies, with {@link isAgentforceError}; branch on {@link AgentforceError.code}.
 */
export class AgentforceError extends Error {
  override name = 'AgentforceError';
  /** Stable, documented code for this kind of failure (see docs/errors.md). */
  readonly code: ErrorCode;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly body: unknown;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, fields: ErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = code;
    this.status = fields.status;
    this.requestId = fields.requestId;
    this.body = fields.body;
    this.retryAfterMs = fields.retryAfterMs;
  }

  /** Plain JSON projection, safe to persist, log and emit. */
  toJSON(): ErrorInfo {
    const info: ErrorInfo = { name: this.name, code: this.code, message: this.message };
    if (this.status !== undefined) info.status = this.status;
    if (this.requestId !== undefined) info.requestId = this.requestId;
    if (this.retryAfterMs !== undefined) info.retryAfterMs = this.retryAfterMs;
    return info;
  }
}

/** The server answered with an error status. */
export class ApiError extends AgentforceError {
  override name = 'ApiError';
  declare readonly status: number;
}
/** 400: the request was malformed (e.g. a bad agent id or a rejected `sequenceId`). */
export class BadRequestError extends ApiError {
  override name = 'BadRequestError';
}
/** 401, or the token endpoint refused the credentials. Already refreshed once, so not transient. */
export class AuthenticationError extends ApiError {
  override name = 'AuthenticationError';
}
/** 403: the user may not use this agent. */
export class PermissionDeniedError extends ApiError {
  override name = 'PermissionDeniedError';
}
/**
 * 404 that is *not* session-not-found: a wrong host, path or agent, a Gov Cloud org on the
 * standard host. A configuration error, not expiry.
 */
export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
}
/** 404 `NotFoundException` "V6Session not found": the server no longer knows the session. */
export class SessionNotFoundError extends ApiError {
  override name = 'SessionNotFoundError';
}
/** 422: the agent could not process the request (e.g. no active version). */
export class UnprocessableError extends ApiError {
  override name = 'UnprocessableError';
}
/** 423: another request is in flight for this session (retried by the library first). */
export class SessionBusyError extends ApiError {
  override name = 'SessionBusyError';
}
/** 429: rate limited (retried by the library first, honouring `Retry-After`). */
export class RateLimitError extends ApiError {
  override name = 'RateLimitError';
}
/** 5xx other than 503 (the API answers 500 after 120 s, on a bad endpoint, on a wrong agent). */
export class InternalServerError extends ApiError {
  override name = 'InternalServerError';
}
/** 503: the service is unavailable (retried by the library first). */
export class ServiceUnavailableError extends ApiError {
  override name = 'ServiceUnavailableError';
}
/** The connection failed or was dropped. `mayHaveReachedServer` says whether a retry is safe. */
export class ConnectionError extends AgentforceError {
  override name = 'ConnectionError';
  readonly mayHaveReachedServer: boolean;
  constructor(message: string, mayHaveReachedServer: boolean, fields: ErrorFields = {}) {
    super('connection', message, fields);
    this.mayHaveReachedServer = mayHaveReachedServer;
  }
  override toJSON(): ErrorInfo {
    return { ...super.toJSON(), mayHaveReachedServer: this.mayHaveReachedServer };
  }
}
/** The request or the stream took longer than its timeout. */
export class TimeoutError extends AgentforceError {
  override name = 'TimeoutError';
}
/** The request was cancelled by the caller or because the session left the state that made it. */
export class AbortError extends AgentforceError {
  override name = 'AbortError';
}
/** The server's reply was not what the Agent API sends (not JSON, no `messages`, ...). */
export class MalformedResponseError extends AgentforceError {
  override name = 'MalformedResponseError';
}
/** The session is closed (or closing): nothing more can be sent. */
export class SessionClosedError extends AgentforceError {
  override name = 'SessionClosedError';
}
/** The session expired and the policy (or the restart budget) did not allow a new one. */
export class SessionExpiredError extends AgentforceError {
  override name = 'SessionExpiredError';
}
/** Too many messages are already waiting for this session. */
export class QueueFullError extends AgentforceError {
  override name = 'QueueFullError';
}
/** A caller passed a bad option or argument. The message names it. Nothing was changed. */
export class InvalidArgumentError extends AgentforceError {
  override name = 'InvalidArgumentError';
}
/** A persisted snapshot has a schema version this library cannot restore. */
export class SnapshotVersionError extends AgentforceError {
  override name = 'SnapshotVersionError';
}

const byName: Record<
  string,
  new (code: ErrorCode, message: string, f?: ErrorFields) => AgentforceError
> = {
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
  TimeoutError,
  AbortError,
  MalformedResponseError,
  SessionClosedError,
  SessionExpiredError,
  QueueFullError,
  InvalidArgumentError,
  SnapshotVersionError,
};

/** Names of every error class of the library, the store errors included. */
const KNOWN_NAMES = new Set([
  ...Object.keys(byName),
  'AgentforceError',
  'ConnectionError',
  'LockTimeoutError',
  'LeaseLostError',
  'StoreError',
]);

/** Rebuilds a typed error from its JSON projection (e.g. from a machine event or a snapshot). */
export function errorFromInfo(info: ErrorInfo): AgentforceError {
  const fields: ErrorFields = {
    status: info.status,
    requestId: info.requestId,
    retryAfterMs: info.retryAfterMs,
  };
  if (info.name === 'ConnectionError') {
    return new ConnectionError(info.message, info.mayHaveReachedServer ?? true, fields);
  }
  const Ctor = byName[info.name] ?? AgentforceError;
  return new Ctor(info.code, info.message, fields);
}

/** True for any error of this library, even from another copy of the package. */
export function isAgentforceError(value: unknown): value is AgentforceError {
  return (
    value instanceof AgentforceError ||
    (value instanceof Error &&
      typeof (value as { code?: unknown }).code === 'string' &&
      typeof (value as { toJSON?: unknown }).toJSON === 'function' &&
      KNOWN_NAMES.has((value as { name: string }).name))
  );
}

/** Projects any thrown value to plain JSON (an unknown value becomes code `internal`). */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof AgentforceError) return err.toJSON();
  const message = err instanceof Error ? err.message : String(err);
  return { name: 'Error', code: 'internal', message };
}
