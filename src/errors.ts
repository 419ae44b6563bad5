import type { ErrorInfo, ErrorCode } from '../machines/session.types.js';
import { oauthErrorKind } from './api/oauth-errors.js';
import { HINTS, TOKEN_HINTS } from './error-hints.js';
import { isSessionNotFoundBody } from './api/responses.js';

export type { ErrorInfo, ErrorCode };

/** Fields shared by every error this library throws. */
export interface ErrorFields {
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
  /**
   * What to change to fix it, in plain words, for a failure a setting causes (a wrong host, an
   * inactive agent, an app not attached to the agent). The message ends with it too.
   */
  hint?: string | undefined;
}

/**
 * The requests this library makes, as error messages and retry notices name them. Some replies
 * mean something only for one request (a 422 on `start session` is an inactive agent).
 */
export type RequestName =
  | 'token request'
  | 'start session'
  | 'send message'
  | 'stream message'
  | 'end session'
  | 'send feedback'
  | 'agent lookup';

/** A message that ends with the fix: `start session failed: 422 …. Fix: activate the agent`. */
export function withHint(message: string, hint: string): string {
  return `${message.replace(/[\s:.]+$/, '')}. Fix: ${hint}`;
}

/** Marks an error of this library across realms and copies of the package. */
const BRAND = Symbol.for('agentforce-session.error');

/**
 * Base class of every error thrown by agentforce-session. Check with `instanceof` or, across
 * realms and package copies, with {@link isAgentforceError}; branch on {@link AgentforceError.code}.
 *
 * Each subclass fixes its own `code`: construct it with a message and the optional fields
 * (`new InvalidArgumentError('text must not be empty')`). The base class itself takes `code`
 * among the fields, for a failure no subclass names (default `internal`).
 */
export class AgentforceError extends Error {
  override name = 'AgentforceError';
  /** Stable, documented code for this kind of failure (see docs/errors.md). */
  readonly code: ErrorCode;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly body: unknown;
  readonly retryAfterMs: number | undefined;
  /** What to change to fix it, when a setting causes this failure (see {@link ErrorFields.hint}). */
  readonly hint: string | undefined;

  constructor(message: string, fields: ErrorFields & { code?: ErrorCode } = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = fields.code ?? 'internal';
    this.status = fields.status;
    this.requestId = fields.requestId;
    this.body = fields.body;
    this.retryAfterMs = fields.retryAfterMs;
    this.hint = fields.hint;
  }

  /** Plain JSON projection, safe to persist, log and emit. */
  toJSON(): ErrorInfo {
    const info: ErrorInfo = { name: this.name, code: this.code, message: this.message };
    if (this.status !== undefined) info.status = this.status;
    if (this.requestId !== undefined) info.requestId = this.requestId;
    if (this.retryAfterMs !== undefined) info.retryAfterMs = this.retryAfterMs;
    if (this.hint !== undefined) info.hint = this.hint;
    return info;
  }
}
Object.defineProperty(AgentforceError.prototype, BRAND, { value: true });

/** The server answered with an error status. */
export class ApiError extends AgentforceError {
  override name = 'ApiError';
  override readonly code: ErrorCode = 'api_error';
  declare readonly status: number;

  /**
   * The one mapping from an error status and its body to the typed error: 404 is
   * {@link SessionNotFoundError} only with the session-not-found body, any other 5xx is an
   * {@link InternalServerError}, an unlisted status a plain {@link ApiError}. A reply that a
   * setting causes (see {@link diagnose}) becomes its own subclass, with a `hint` naming the fix;
   * `request` says which request got the reply.
   */
  static generate(
    status: number,
    message: string,
    fields: ErrorFields = {},
    request?: RequestName,
  ): ApiError {
    const all = { ...fields, status };
    if (status === 404 && isSessionNotFoundBody(fields.body)) {
      return new SessionNotFoundError(message, all);
    }
    const known = diagnose(status, fields.body, request);
    if (known) return new known.Class(withHint(message, known.hint), { ...all, hint: known.hint });
    const Known = API_ERROR_BY_STATUS[status] ?? (status >= 500 ? InternalServerError : ApiError);
    return new Known(message, all);
  }
}
/** 400: the request was malformed (e.g. a bad agent id or a rejected `sequenceId`). */
export class BadRequestError extends ApiError {
  override name = 'BadRequestError';
  override readonly code = 'bad_request';
}
/** 401, or the token endpoint refused the credentials. Already refreshed once, so not transient. */
export class AuthenticationError extends ApiError {
  override name = 'AuthenticationError';
  override readonly code = 'authentication';
}
/** 403: the user may not use this agent. */
export class PermissionDeniedError extends ApiError {
  override name = 'PermissionDeniedError';
  override readonly code = 'permission_denied';
}
/**
 * 404 that is *not* session-not-found: a wrong host, path or agent, a Gov Cloud org on the
 * standard host. A configuration error, not expiry.
 */
export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
  override readonly code = 'not_found';
}
/** 404 `NotFoundException` "V6Session not found": the server no longer knows the session. */
export class SessionNotFoundError extends ApiError {
  override name = 'SessionNotFoundError';
  override readonly code = 'session_not_found';
}
/** 422: the agent could not process the request (e.g. no active version). */
export class UnprocessableError extends ApiError {
  override name = 'UnprocessableError';
  override readonly code = 'unprocessable';
}
/** 423: another request is in flight for this session (retried by the library first). */
export class SessionBusyError extends ApiError {
  override name = 'SessionBusyError';
  override readonly code = 'session_busy';
}
/** 429: rate limited (retried by the library first, honouring `Retry-After`). */
export class RateLimitError extends ApiError {
  override name = 'RateLimitError';
  override readonly code = 'rate_limited';
}
/** 5xx other than 503 (the API answers 500 after 120 s, on a bad endpoint, on a wrong agent). */
export class InternalServerError extends ApiError {
  override name = 'InternalServerError';
  override readonly code = 'server_error';
}
/** 503: the service is unavailable (retried by the library first). */
export class ServiceUnavailableError extends ApiError {
  override name = 'ServiceUnavailableError';
  override readonly code = 'service_unavailable';
}
/**
 * 400 `AgentApiException` "Invalid user ID provided on start session": the agent is an Employee
 * agent, which runs as the token's user and refuses `bypassUser: true`. Set `bypassUser: false`.
 */
export class BypassUserError extends BadRequestError {
  override name = 'BypassUserError';
}
/** 401 "Connected app is not attached to Agent": the agent has no API connection to the app. */
export class AgentNotAttachedError extends AuthenticationError {
  override name = 'AgentNotAttachedError';
}
/** 422 on start: the agent has no active version. Activate it. */
export class AgentInactiveError extends UnprocessableError {
  override name = 'AgentInactiveError';
}
/**
 * 500 `HttpServerErrorException` on start: the org knows no agent with this id (the real API
 * answers a well-formed id of no agent so).
 */
export class AgentNotFoundError extends InternalServerError {
  override name = 'AgentNotFoundError';
}
/**
 * 500 `EngineConfigLookupException`: `instanceConfig.endpoint` (the client's `myDomainUrl`) is not
 * the org's My Domain URL, e.g. the Lightning URL.
 */
export class EndpointConfigError extends InternalServerError {
  override name = 'EndpointConfigError';
}
/**
 * The access token is not a JWT (the app's "Issue JSON Web Token (JWT)-based access tokens"
 * toggle is off): refused when it arrives, before any Agent API call, which would answer 404 with
 * an empty body. Code `authentication`.
 */
export class TokenFormatError extends AgentforceError {
  override name = 'TokenFormatError';
  override readonly code = 'authentication';
}

/** A reply that a setting causes: the class it becomes and the fix. */
interface Diagnosis {
  Class: new (message: string, fields: ErrorFields) => ApiError;
  hint: string;
}

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | null | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** The token endpoint's OAuth errors, by their `error` and `error_description`. */
function diagnoseTokenReply(status: number, body: unknown): Diagnosis | undefined {
  const kind = oauthErrorKind(status, body);
  if (kind === 'rate-limited') return { Class: RateLimitError, hint: HINTS.loginRate };
  if (status !== 400 && status !== 401) return undefined;
  return { Class: AuthenticationError, hint: TOKEN_HINTS[kind ?? 'other'] };
}

/**
 * Replies that a setting causes, told apart as the real API tells them (docs/errors.md lists each
 * with its source): the class the reply becomes and the fix.
 */
function diagnose(
  status: number,
  body: unknown,
  request: RequestName | undefined,
): Diagnosis | undefined {
  if (request === 'token request') return diagnoseTokenReply(status, body);
  if (request === 'agent lookup') {
    // The REST API's error body is a list of {message, errorCode}.
    const first: unknown = Array.isArray(body) ? body[0] : body;
    if (status === 403 || /not valid for use with the REST API/i.test(field(first, 'message'))) {
      return { Class: PermissionDeniedError, hint: HINTS.apiScope };
    }
  }
  const error = field(body, 'error');
  const message = field(body, 'message');
  const empty = body === undefined || body === null || body === '';
  if (status === 404) {
    return { Class: NotFoundError, hint: empty ? HINTS.empty404 : HINTS.other404 };
  }
  if (error === 'EngineConfigLookupException' || /force-config endpoint/i.test(message)) {
    return { Class: EndpointConfigError, hint: HINTS.endpoint };
  }
  if (status === 400 && /invalid user id/i.test(message)) {
    return { Class: BypassUserError, hint: HINTS.bypassUser };
  }
  if (status === 401) {
    return /not attached to agent/i.test(message)
      ? { Class: AgentNotAttachedError, hint: HINTS.notAttached }
      : { Class: AuthenticationError, hint: HINTS.unauthorized };
  }
  if (request !== 'start session') return undefined;
  if (status === 422) return { Class: AgentInactiveError, hint: HINTS.inactive };
  if (status === 500 && error === 'HttpServerErrorException') {
    return { Class: AgentNotFoundError, hint: HINTS.agentNotFound };
  }
  return undefined;
}

/** The {@link ApiError} class of each status with its own (404 is decided by its body). */
const API_ERROR_BY_STATUS: Record<number, new (message: string, fields: ErrorFields) => ApiError> =
  {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    422: UnprocessableError,
    423: SessionBusyError,
    429: RateLimitError,
    503: ServiceUnavailableError,
  };

/** The connection failed or was dropped. `mayHaveReachedServer` says whether a retry is safe. */
export class ConnectionError extends AgentforceError {
  override name = 'ConnectionError';
  override readonly code = 'connection';
  readonly mayHaveReachedServer: boolean;
  constructor(message: string, mayHaveReachedServer: boolean, fields: ErrorFields = {}) {
    super(message, fields);
    this.mayHaveReachedServer = mayHaveReachedServer;
  }
  override toJSON(): ErrorInfo {
    return { ...super.toJSON(), mayHaveReachedServer: this.mayHaveReachedServer };
  }
}
/**
 * A deadline passed: the request took longer than `timeoutMs` (code `timeout`, the default), a
 * stream sent nothing for `streamIdleTimeoutMs` (code `stream_idle_timeout`), or a shutdown ran
 * out of time. Every timeout of the library is this class.
 */
export class TimeoutError extends AgentforceError {
  override name = 'TimeoutError';
  declare readonly code: 'timeout' | 'stream_idle_timeout';
  constructor(
    message: string,
    fields: ErrorFields & { code?: 'timeout' | 'stream_idle_timeout' } = {},
  ) {
    super(message, { ...fields, code: fields.code ?? 'timeout' });
  }
}
/** The request was cancelled by the caller or because the session left the state that made it. */
export class AbortError extends AgentforceError {
  override name = 'AbortError';
  override readonly code = 'aborted';
}
/** The server's reply was not what the Agent API sends (not JSON, no `messages`, ...). */
export class MalformedResponseError extends AgentforceError {
  override name = 'MalformedResponseError';
  override readonly code = 'malformed_response';
}
/** The session is closed (or closing): nothing more can be sent. */
export class SessionClosedError extends AgentforceError {
  override name = 'SessionClosedError';
  override readonly code = 'session_closed';
}
/** The session expired and the policy (or the restart budget) did not allow a new one. */
export class SessionExpiredError extends AgentforceError {
  override name = 'SessionExpiredError';
  override readonly code = 'session_expired';
}
/** Too many messages are already waiting for this session. */
export class QueueFullError extends AgentforceError {
  override name = 'QueueFullError';
  override readonly code = 'queue_full';
}
/** A caller passed a bad option or argument. The message names it. Nothing was changed. */
export class InvalidArgumentError extends AgentforceError {
  override name = 'InvalidArgumentError';
  override readonly code = 'invalid_argument';
}
/** A persisted snapshot has a schema version this library cannot restore. */
export class SnapshotVersionError extends AgentforceError {
  override name = 'SnapshotVersionError';
  override readonly code = 'snapshot_version';
}

/** True for any error of this library, even from another copy of the package or another realm. */
export function isAgentforceError(value: unknown): value is AgentforceError {
  return (
    value instanceof AgentforceError ||
    (typeof value === 'object' &&
      value !== null &&
      (value as { [BRAND]?: unknown })[BRAND] === true)
  );
}
