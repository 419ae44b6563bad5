/**
 * The error classes: each fixes its own code, one factory maps a status and its body to a class,
 * a JSON projection rebuilds the same class, and every deadline that passes is a TimeoutError
 * (shutdowns included, over HTTP against the emulator).
 */
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  AgentInactiveError,
  AgentNotAttachedError,
  AgentNotFoundError,
  AgentforceError,
  ApiError,
  AuthenticationError,
  BadRequestError,
  BypassUserError,
  ConnectionError,
  EndpointConfigError,
  InternalServerError,
  InvalidArgumentError,
  LeaseLostError,
  LockTimeoutError,
  MalformedResponseError,
  MemoryStore,
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
  StoreError,
  TimeoutError,
  TokenFormatError,
  UnprocessableError,
  errorFromInfo,
  isAgentforceError,
} from '../../src/index.js';
import type * as errorsModule from '../../src/errors.js';
import { toErrorInfo } from '../../src/error-info.js';
import type { ErrorInfo } from '../../src/errors.js';
import { AGENT_ID, harness } from '../client/helpers.js';

/** The codes docs/errors.md and docs/scale-out.md promise, written out by hand. */
const CODES: Array<[AgentforceError, string]> = [
  [new ApiError('m', { status: 418 }), 'api_error'],
  [new BadRequestError('m'), 'bad_request'],
  [new AuthenticationError('m'), 'authentication'],
  [new PermissionDeniedError('m'), 'permission_denied'],
  [new NotFoundError('m'), 'not_found'],
  [new SessionNotFoundError('m'), 'session_not_found'],
  [new UnprocessableError('m'), 'unprocessable'],
  [new SessionBusyError('m'), 'session_busy'],
  [new RateLimitError('m'), 'rate_limited'],
  [new InternalServerError('m'), 'server_error'],
  [new ServiceUnavailableError('m'), 'service_unavailable'],
  [new ConnectionError('m', true), 'connection'],
  [new TimeoutError('m'), 'timeout'],
  [new TimeoutError('m', { code: 'stream_idle_timeout' }), 'stream_idle_timeout'],
  [new AbortError('m'), 'aborted'],
  [new MalformedResponseError('m'), 'malformed_response'],
  [new SessionClosedError('m'), 'session_closed'],
  [new SessionExpiredError('m'), 'session_expired'],
  [new QueueFullError('m'), 'queue_full'],
  [new InvalidArgumentError('m'), 'invalid_argument'],
  [new SnapshotVersionError('m'), 'snapshot_version'],
  [new LockTimeoutError('k', 5), 'lock_timeout'],
  [new LeaseLostError('k', 1), 'lease_lost'],
  [new StoreError('m'), 'store'],
  [new AgentforceError('m'), 'internal'],
  // A first-contact error keeps its parent's code: retries, the machine and exit codes are unchanged.
  [new BypassUserError('m'), 'bad_request'],
  [new AgentNotAttachedError('m'), 'authentication'],
  [new AgentInactiveError('m'), 'unprocessable'],
  [new AgentNotFoundError('m'), 'server_error'],
  [new EndpointConfigError('m'), 'server_error'],
  [new TokenFormatError('m'), 'authentication'],
];

describe('error classes', () => {
  it.each(CODES)('%s has its own code, with no code argument', (error, code) => {
    expect(error.code).toBe(code);
    expect(error.toJSON()).toMatchObject({ name: error.name, code, message: error.message });
    expect(isAgentforceError(error)).toBe(true);
  });

  it('a class ignores a code passed to it: the class decides', () => {
    const fields = { code: 'queue_full' } as unknown as object;
    expect(new BadRequestError('m', fields).code).toBe('bad_request');
  });

  it.each(CODES)('%s survives its JSON projection: same class, same code', (error, code) => {
    const rebuilt = errorFromInfo(JSON.parse(JSON.stringify(error.toJSON())) as ErrorInfo);
    expect(rebuilt.code).toBe(code);
    expect(rebuilt.message).toBe(error.message);
    // The store errors come back as the base class (their key and token are not in the JSON).
    if (!['LockTimeoutError', 'LeaseLostError', 'StoreError'].includes(error.name)) {
      expect(rebuilt.constructor).toBe(error.constructor);
    }
  });

  it('an error from another copy of the module is recognised; a look-alike is not', async () => {
    // A query string makes the module loader evaluate the file again: a second copy.
    const secondCopy: string = '../../src/errors.js?second-copy';
    const copy = (await import(secondCopy)) as typeof errorsModule;
    const foreign = new copy.SessionBusyError('m', { status: 423 });
    expect(foreign instanceof AgentforceError).toBe(false);
    expect(isAgentforceError(foreign)).toBe(true);
    const lookAlike = Object.assign(new Error('m'), { code: 'session_busy', toJSON: () => ({}) });
    expect(isAgentforceError(lookAlike)).toBe(false);
  });
});

describe('ApiError.generate: status and body to class', () => {
  const cases: Array<[number, unknown, new (...args: never[]) => ApiError, string]> = [
    [400, {}, BadRequestError, 'bad_request'],
    [401, {}, AuthenticationError, 'authentication'],
    [403, {}, PermissionDeniedError, 'permission_denied'],
    [
      404,
      { error: 'NotFoundException', message: 'V6Session not found for sessionId x' },
      SessionNotFoundError,
      'session_not_found',
    ],
    [404, { error: 'NotFound', message: 'no such route' }, NotFoundError, 'not_found'],
    [404, 'Not Found', NotFoundError, 'not_found'],
    [422, {}, UnprocessableError, 'unprocessable'],
    [423, {}, SessionBusyError, 'session_busy'],
    [429, {}, RateLimitError, 'rate_limited'],
    [500, {}, InternalServerError, 'server_error'],
    [502, {}, InternalServerError, 'server_error'],
    [503, {}, ServiceUnavailableError, 'service_unavailable'],
    [418, {}, ApiError, 'api_error'],
  ];
  it.each(cases)('%i %j is a %o', (status, body, Class, code) => {
    const error = ApiError.generate(status, 'send message failed', { body, requestId: 'r-1' });
    expect(error.constructor).toBe(Class);
    expect(error).toMatchObject({ code, status, body, requestId: 'r-1' });
  });

  it('a 404 that is not session-not-found says what to check', () => {
    const other = ApiError.generate(404, 'start session failed', { body: { error: 'NotFound' } });
    expect(other.message).toMatch(/Fix: check the API host and the agent id/);
    const empty = ApiError.generate(404, 'start session failed', { body: '' });
    expect(empty.hint).toMatch(/not a JWT/);
    expect(empty.message).toBe(`start session failed. Fix: ${empty.hint}`);
  });

  it('the hint survives the JSON projection', () => {
    const error = new BypassUserError('refused. Fix: set bypassUser: false', {
      status: 400,
      hint: 'set bypassUser: false',
    });
    const rebuilt = errorFromInfo(JSON.parse(JSON.stringify(error)) as ErrorInfo);
    expect(rebuilt).toBeInstanceOf(BypassUserError);
    expect(rebuilt.hint).toBe('set bypassUser: false');
    expect(toErrorInfo(rebuilt).hint).toBe('set bypassUser: false');
  });

  it.each([
    [
      400,
      { message: 'Invalid user ID provided on start session: ' },
      'start session',
      BypassUserError,
    ],
    [
      401,
      { message: 'Connected app is not attached to Agent' },
      'send message',
      AgentNotAttachedError,
    ],
    [422, { error: 'RequestProcessingException' }, 'start session', AgentInactiveError],
    [422, { error: 'RequestProcessingException' }, 'send message', UnprocessableError],
    [500, { error: 'HttpServerErrorException' }, 'start session', AgentNotFoundError],
    [500, { error: 'HttpServerErrorException' }, 'send message', InternalServerError],
    [500, { error: 'EngineConfigLookupException' }, 'start session', EndpointConfigError],
  ] as const)('%i %j on %s is a %o', (status, body, request, Class) => {
    const error = ApiError.generate(status, `${request} failed`, { body }, request);
    expect(error.constructor).toBe(Class);
  });
});

describe('toErrorInfo: anything thrown, as plain JSON', () => {
  it('keeps what a typed error says, and names what an untyped one was', () => {
    const typed = new RateLimitError('slow down', { status: 429, retryAfterMs: 10 });
    expect(toErrorInfo(typed)).toEqual(typed.toJSON());
    expect(toErrorInfo(new TypeError('bad'))).toEqual({
      name: 'TypeError',
      code: 'internal',
      message: 'bad',
    });
    expect(toErrorInfo(Object.assign(new Error('gone'), { code: 'session_closed' }))).toEqual({
      name: 'Error',
      code: 'session_closed',
      message: 'gone',
    });
    expect(toErrorInfo('text')).toEqual({ name: 'Error', code: 'internal', message: 'text' });
    expect(toErrorInfo(undefined)).toEqual({
      name: 'Error',
      code: 'internal',
      message: 'undefined',
    });
  });
});

describe('a shutdown that runs out of time fails with TimeoutError', () => {
  it('client.shutdown', async () => {
    const { api, client, session } = await harness();
    await session.start();
    api.faults.next('end', { delayMs: 2_000 });
    const result = await client.shutdown({ deadlineMs: 100 });
    expect(result.ended).toBe(0);
    expect(result.failed[0]!.error).toBeInstanceOf(TimeoutError);
    expect(result.failed[0]!.error.code).toBe('timeout');
  });

  it('SessionManager.endAll', async () => {
    const { api, client } = await harness();
    const manager = client.conversations({
      session: { agentId: AGENT_ID },
      store: new MemoryStore(),
    });
    await manager.send('alice', 'hello');
    api.faults.next('end', { delayMs: 2_000 });
    const result = await manager.endAll({ deadlineMs: 100 });
    expect(result.ended).toBe(0);
    expect(result.failed[0]!.error).toBeInstanceOf(TimeoutError);
    expect(result.failed[0]!.error.code).toBe('timeout');
  });
});
