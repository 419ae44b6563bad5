import {
  AGENT_API_PREFIX,
  SESSION_NOT_FOUND_ERROR,
  type ErrorBody,
  type OAuthErrorBody,
} from '../api/index.js';

/**
 * Error bodies as the Agent API sends them: the documented `Error` shape
 * `{status, path, requestId, error, message, timestamp}` plus the `mode` and `expected` fields
 * that real bodies carry. `path` is the backend's internal path (`v6.0.0/sessions/<id>/messages`).
 */

/** Error class and message the emulator uses by default for each status. */
export const DEFAULT_ERRORS: Readonly<
  Record<number, { readonly error: string; readonly message: string }>
> = {
  400: { error: 'BadRequestError', message: 'Bad Request' },
  401: { error: 'UnauthorizedException', message: 'Access bearer token is missing or invalid' },
  403: { error: 'ForbiddenError', message: 'User forbidden from accessing the resource' },
  404: { error: 'NotFoundError', message: 'Resource not found' },
  405: { error: 'MethodNotAllowedError', message: 'Method not allowed' },
  406: { error: 'NotAcceptableError', message: 'Not Acceptable' },
  408: { error: 'RequestTimeoutError', message: 'Request timed out' },
  410: { error: 'NotAvailableError', message: 'Resource not available' },
  413: { error: 'PayloadTooLargeError', message: 'Request body too large' },
  422: {
    error: 'RequestProcessingException',
    message: 'Cannot determine the active version for the agent',
  },
  423: { error: 'ServerBusyError', message: 'Session Already Locked' },
  429: { error: 'TooManyRequestsError', message: 'Too many requests for the server to handle' },
  500: { error: 'HttpServerErrorException', message: 'An unexpected error occurred' },
  502: { error: 'BadGatewayError', message: 'Bad Gateway' },
  503: {
    error: 'ServiceUnavailable',
    message: 'Service is unavailable possibly because Apex/Flow calls timed out',
  },
  504: { error: 'GatewayTimeoutError', message: 'Gateway Timeout' },
};

/** The backend version segment that real error bodies put at the start of `path`. */
export const BACKEND_PATH_PREFIX = 'v6.0.0';

/**
 * The `path` of an error body for a request path: the Agent API prefix is replaced with the
 * backend version (`/einstein/ai-agent/v1/sessions/x/messages` → `v6.0.0/sessions/x/messages`).
 */
export function backendPath(pathname: string): string {
  const rest = pathname.startsWith(AGENT_API_PREFIX)
    ? pathname.slice(AGENT_API_PREFIX.length)
    : pathname;
  return BACKEND_PATH_PREFIX + (rest.startsWith('/') ? rest : `/${rest}`);
}

/** What an error body needs besides its status. */
export interface ErrorBodyInput {
  /** The request path (the part after the host, without the query). */
  readonly pathname: string;
  /** The request id, also sent as `X-Request-ID`. */
  readonly requestId: string;
  /** Epoch ms on the emulator clock. */
  readonly now: number;
  /** Error class name; defaults to the documented one for the status. */
  readonly error?: string | undefined;
  /** Message; defaults to the documented one for the status. */
  readonly message?: string | undefined;
}

/** Builds an `Error` body for `status`. */
export function errorBody(status: number, input: ErrorBodyInput): ErrorBody {
  const known = DEFAULT_ERRORS[status];
  const fallback =
    status >= 500
      ? { error: 'HttpServerErrorException', message: 'An unexpected error occurred' }
      : { error: 'BadRequestError', message: 'Bad Request' };
  return {
    status,
    path: backendPath(input.pathname),
    mode: 'unknown',
    requestId: input.requestId,
    error: input.error ?? known?.error ?? fallback.error,
    message: input.message ?? known?.message ?? fallback.message,
    timestamp: input.now,
    expected: expectedFlag(status),
  };
}

/**
 * The `expected` flag of real error bodies, which does not follow the status class: a captured
 * 401 says false, a 404 true, a 500 false.
 */
export function expectedFlag(status: number): boolean {
  return status !== 401 && status < 500;
}

/** The 404 body of an unknown, ended or expired session (`NotFoundException`). */
export function sessionNotFoundBody(
  sessionId: string,
  input: Omit<ErrorBodyInput, 'error' | 'message'>,
): ErrorBody {
  return errorBody(404, {
    ...input,
    error: SESSION_NOT_FOUND_ERROR,
    message: `V6Session not found for sessionId: ${sessionId}`,
  });
}

/** A standard Salesforce OAuth error body, as the token endpoint sends it. */
export function oauthErrorBody(error: string, description: string): OAuthErrorBody {
  return { error, error_description: description };
}

/** The OAuth error the token endpoint uses by default for a status (faults on the token route). */
export function defaultOAuthError(status: number): OAuthErrorBody {
  switch (status) {
    case 400:
      return oauthErrorBody('invalid_grant', 'authentication failure');
    case 401:
      return oauthErrorBody('invalid_client', 'invalid client credentials');
    case 403:
      return oauthErrorBody('inactive_org', 'organization is inactive');
    case 429:
      return oauthErrorBody('rate_limit_exceeded', 'too many requests');
    default:
      return status >= 500
        ? oauthErrorBody('server_error', 'unexpected server error')
        : oauthErrorBody('invalid_request', 'invalid request');
  }
}
