/**
 * First contact with an org: each misconfiguration the real API answers in its own way (the
 * emulator answers it the same way) becomes its own typed error, whose message ends with the fix
 * and whose `hint` holds it. Expected classes, codes and statuses come from docs/errors.md and the
 * reference; the hints are checked for the setting they must name.
 */
import { describe, expect, it } from 'vitest';
import {
  AgentInactiveError,
  AgentNotAttachedError,
  AgentNotFoundError,
  AuthenticationError,
  BypassUserError,
  EndpointConfigError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
  TokenFormatError,
  UnprocessableError,
  type AgentforceError,
  type RetryNotice,
} from '../../src/index.js';
import {
  EMULATOR_EMPLOYEE_AGENT_ID,
  EMULATOR_INACTIVE_AGENT_ID,
  EMULATOR_SERVICE_AGENT_ID,
  EMULATOR_UNATTACHED_AGENT_ID,
} from '../../src/fake-server/index.js';
import { harness, traffic } from './helpers.js';

/** What `start()` rejected with, as an error of this library. */
async function startFailure(h: { session: { start(): Promise<unknown> } }) {
  const err = await h.session.start().then(
    () => undefined,
    (e: unknown) => e as AgentforceError,
  );
  expect(err, 'start() must reject').toBeDefined();
  return err!;
}

/** The message ends with the fix, which is also the `hint` field and survives the JSON. */
function expectHint(err: AgentforceError, names: RegExp): void {
  expect(err.hint).toMatch(names);
  expect(err.message.endsWith(`. Fix: ${err.hint}`)).toBe(true);
  expect(err.toJSON().hint).toBe(err.hint);
}

const known = { anyAgentId: false } as const;

describe('a token that is not a JWT', () => {
  it('is refused when it arrives: TokenFormatError, and no Agent API call is made', async () => {
    const h = await harness({
      emulator: { ...known, tokenFormat: 'opaque' },
      session: { agentId: EMULATOR_SERVICE_AGENT_ID },
    });
    const err = await startFailure(h);
    expect(err).toBeInstanceOf(TokenFormatError);
    expect(err.code).toBe('authentication');
    expectHint(err, /JSON Web Token \(JWT\)-based access tokens/);
    expect(traffic(h.api)).toEqual(['token 200']);
  });

  it('a fixed token is checked as well, before anything is sent', async () => {
    const h = await harness({
      client: { auth: '00Dxx0000000001!AQEAQFakeOpaqueToken', apiBaseUrl: 'http://127.0.0.1:1' },
      session: { agentId: EMULATOR_SERVICE_AGENT_ID },
    });
    const err = await startFailure(h);
    expect(err).toBeInstanceOf(TokenFormatError);
    expect(err.message).not.toContain('FakeOpaqueToken');
    expect(traffic(h.api)).toEqual([]);
  });
});

describe('Agent API replies that a setting causes', () => {
  it('a 404 with an empty body names the JWT toggle and the API host', async () => {
    const h = await harness({ session: { agentId: EMULATOR_SERVICE_AGENT_ID } });
    h.api.faults.next('start', { status: 404, body: '' });
    const err = await startFailure(h);
    expect(err.constructor).toBe(NotFoundError);
    expect(err).toMatchObject({ code: 'not_found', status: 404 });
    expectHint(err, /not a JWT.*test\.api\.salesforce\.com.*apiBaseUrl/);
    expect(h.session.outcome?.error).toMatchObject({ name: 'NotFoundError', hint: err.hint });
  });

  it('an endpoint that is not the My Domain: EndpointConfigError naming myDomainUrl', async () => {
    const h = await harness({
      emulator: { ...known, myDomainUrl: 'https://example.my.salesforce.com' },
      session: { agentId: EMULATOR_SERVICE_AGENT_ID },
    });
    const err = await startFailure(h);
    expect(err).toBeInstanceOf(EndpointConfigError);
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err).toMatchObject({ code: 'server_error', status: 500 });
    expectHint(err, /myDomainUrl.*My Domain.*lightning\.force\.com/);
    expect(traffic(h.api)).toEqual(['token 200', 'start 500']);
  });

  it('a well-formed id of no agent: AgentNotFoundError naming agentId', async () => {
    const h = await harness({ emulator: known, session: { agentId: '0XxNOSUCHAGENT0001' } });
    const err = await startFailure(h);
    expect(err).toBeInstanceOf(AgentNotFoundError);
    expect(err).toMatchObject({ code: 'server_error', status: 500 });
    expectHint(err, /agentId/);
  });

  it('an inactive agent: AgentInactiveError, activate it', async () => {
    const h = await harness({ emulator: known, session: { agentId: EMULATOR_INACTIVE_AGENT_ID } });
    const err = await startFailure(h);
    expect(err).toBeInstanceOf(AgentInactiveError);
    expect(err).toBeInstanceOf(UnprocessableError);
    expect(err).toMatchObject({ code: 'unprocessable', status: 422 });
    expectHint(err, /activate the agent/i);
  });

  it('an agent the app is not attached to: AgentNotAttachedError after one token refresh', async () => {
    const h = await harness({
      emulator: known,
      session: { agentId: EMULATOR_UNATTACHED_AGENT_ID },
    });
    const err = await startFailure(h);
    expect(err).toBeInstanceOf(AgentNotAttachedError);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ code: 'authentication', status: 401 });
    expectHint(err, /API connection/);
    expect(traffic(h.api)).toEqual(['token 200', 'start 401', 'token 200', 'start 401']);
  });

  it('an Employee agent with bypassUser true: BypassUserError telling to set bypassUser: false', async () => {
    const h = await harness({
      emulator: known,
      session: { agentId: EMULATOR_EMPLOYEE_AGENT_ID, bypassUser: true },
    });
    const err = await startFailure(h);
    expect(err).toBeInstanceOf(BypassUserError);
    expect(err).toMatchObject({ code: 'bad_request', status: 400 });
    expectHint(err, /bypassUser: false/);
    const fixed = h.client.session({ agentId: EMULATOR_EMPLOYEE_AGENT_ID, bypassUser: false });
    expect((await fixed.start()).sessionId).toEqual(expect.any(String));
    await fixed.end();
  });
});

describe('token endpoint errors', () => {
  const oauth = (error: string, description: string) => ({
    status: 400,
    body: { error, error_description: description },
  });

  it.each([
    ['invalid_client_id', 'client identifier invalid', /Consumer Key/],
    ['invalid_client', 'invalid client credentials', /Consumer Secret/],
    ['invalid_grant', 'Maximum Logins Exceeded', /another Run As user/],
    ['invalid_grant', 'no client credentials user enabled', /Client Credentials Flow.*Run As/],
  ])('%s (%s) is an AuthenticationError naming the fix, not retried', async (error, desc, fix) => {
    const h = await harness({ session: { agentId: EMULATOR_SERVICE_AGENT_ID } });
    h.api.faults.next('token', oauth(error, desc));
    const err = await startFailure(h);
    expect(err.constructor).toBe(AuthenticationError);
    expect(err).toMatchObject({ code: 'authentication', status: 400 });
    expect(err.message).toContain(`${error}: ${desc}`);
    expectHint(err, fix);
    expect(traffic(h.api)).toEqual(['token 400']);
  });

  it('a rate limit is retried as the server asks, told to onRetry, then a RateLimitError', async () => {
    const notices: RetryNotice[] = [];
    const h = await harness({
      client: { onRetry: (n) => notices.push(n) },
      session: { agentId: EMULATOR_SERVICE_AGENT_ID },
    });
    h.api.faults.next('token', { status: 429, retryAfter: 1 }, { times: 3 });
    const err = await startFailure(h);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ code: 'rate_limited', status: 429 });
    expectHint(err, /one client per org/);
    expect(notices.map((n) => [n.what, n.attempt, n.delayMs, n.error.code])).toEqual([
      ['token request', 1, 50, 'rate_limited'],
      ['token request', 2, 50, 'rate_limited'],
    ]);
    expect(traffic(h.api)).toEqual(['token 429', 'token 429', 'token 429']);
  });

  it('a token request that fails once is retried through the retry loop and told to onRetry', async () => {
    const notices: RetryNotice[] = [];
    const h = await harness({
      client: { onRetry: (n) => notices.push(n) },
      session: { agentId: EMULATOR_SERVICE_AGENT_ID },
    });
    h.api.faults.next('token', { status: 503 });
    await h.session.start();
    expect(notices).toEqual([
      {
        what: 'token request',
        attempt: 1,
        delayMs: expect.any(Number),
        error: expect.objectContaining({ code: 'service_unavailable', status: 503 }),
      },
    ]);
    expect(traffic(h.api)).toEqual(['token 503', 'token 200', 'start 200']);
  });
});
