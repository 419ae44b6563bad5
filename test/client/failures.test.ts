import { describe, expect, it } from 'vitest';
import {
  AgentforceClient,
  AuthenticationError,
  ConnectionError,
  InternalServerError,
  MalformedResponseError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
  clientCredentials,
} from '../../src/index.js';
import { startFakeAgentApi } from '../../src/fake-server/index.js';
import { AGENT_ID, CLIENT_ID, CLIENT_SECRET, harness, traffic } from './helpers.js';

describe('failures, retries and typed errors', () => {
  it('429 with Retry-After is retried after the wait, invisibly', async () => {
    const { api, session } = await harness();
    await session.start();
    api.faults.next('send', { status: 429, retryAfter: 1 });
    const turn = await session.send('rate limited once');
    expect(turn.text).toContain('rate limited once');
    expect(traffic(api).slice(-2)).toEqual(['send 429', 'send 200']);
  });

  it('onRetry is told what failed and how long the client waits before each retry', async () => {
    const notices: unknown[] = [];
    const { api, session } = await harness({ client: { onRetry: (n) => notices.push(n) } });
    await session.start();
    api.faults.next('send', { status: 429, retryAfter: 1 });
    api.faults.next('send', { status: 503 });
    await session.send('told about retries');
    expect(notices).toEqual([
      {
        what: 'send message',
        attempt: 1,
        delayMs: 50, // the server's 1 s, capped by retry.maxRetryAfterMs
        error: expect.objectContaining({ code: 'rate_limited', status: 429 }),
      },
      {
        what: 'send message',
        attempt: 2,
        delayMs: expect.any(Number),
        error: expect.objectContaining({ code: 'service_unavailable', status: 503 }),
      },
    ]);
  });

  it('429 beyond the retries fails the message with RateLimitError (retryAfterMs, requestId) and keeps the session', async () => {
    const { api, session } = await harness();
    await session.start();
    api.faults.next('send', { status: 429, retryAfter: 2 }, { times: 3 });
    const err = await session.send('too fast').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({
      status: 429,
      retryAfterMs: 2000,
      code: 'rate_limited',
      requestId: expect.any(String),
    });
    expect(session.state).toBe('awaitingInput');
    expect((await session.send('later')).text).toContain('later');
  });

  it('423 and 503 are retried; a message never goes twice at once', async () => {
    const { api, session } = await harness();
    await session.start();
    api.faults.next('send', { status: 423 });
    api.faults.next('send', { status: 503, retryAfter: 1 });
    await session.send('busy server');
    expect(traffic(api).slice(-3)).toEqual(['send 423', 'send 503', 'send 200']);
  });

  it('503 beyond the retries: ServiceUnavailableError', async () => {
    const { api, session } = await harness();
    await session.start();
    api.faults.next('send', { status: 503 }, { times: 3 });
    await expect(session.send('down')).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it('a 500 on a message is not repeated (it may have been processed)', async () => {
    const { api, session } = await harness();
    await session.start();
    api.faults.next('send', { status: 500 });
    await expect(session.send('boom')).rejects.toBeInstanceOf(InternalServerError);
    expect(api.requests.filter((r) => r.route === 'send')).toHaveLength(1);
  });

  it('a connection dropped after the server processed the message is surfaced, not repeated', async () => {
    const { api, session } = await harness();
    await session.start();
    api.faults.next('send', { drop: 'after' });
    const err = await session.send('lost reply').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ mayHaveReachedServer: true });
    expect((err as Error).message).toContain(
      `send message failed: connection error ECONNRESET (${new URL(api.url).host}): the request may have reached the server`,
    );
    expect(api.requests.filter((r) => r.route === 'send')).toHaveLength(1);
    expect(session.state).toBe('awaitingInput');
  });

  it('a refused connection names the host and says the request did not reach the server', async () => {
    const closed = await startFakeAgentApi();
    const host = new URL(closed.url).host;
    await closed.close();
    const client = new AgentforceClient({
      myDomainUrl: closed.url,
      auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
      retry: { maxRetries: 0 },
    });
    try {
      const err = await client
        .session({ agentId: AGENT_ID })
        .start()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect(err).toMatchObject({ mayHaveReachedServer: false });
      expect((err as Error).message).toContain(
        `token request failed: connection error ECONNREFUSED (${host}): the request did not reach the server`,
      );
    } finally {
      client.close();
    }
  });

  it('DELETE is retried after a dropped connection', async () => {
    const { api, session } = await harness();
    await session.start();
    api.faults.next('end', { drop: 'before' });
    const outcome = await session.end();
    expect(outcome.error).toBeUndefined();
    expect(api.sessions()[0]?.status).toBe('ended');
  });

  it('a malformed reply: MalformedResponseError', async () => {
    const { api, session } = await harness();
    await session.start();
    api.faults.next('send', { malformed: 'json' });
    await expect(session.send('garbled')).rejects.toBeInstanceOf(MalformedResponseError);
    api.faults.next('send', { malformed: 'shape' });
    await expect(session.send('garbled again')).rejects.toBeInstanceOf(MalformedResponseError);
    expect(session.state).toBe('awaitingInput');
  });

  it('a 404 that is not session-not-found is a configuration error: NotFoundError, session closed failed', async () => {
    const { api, session } = await harness();
    await session.start();
    api.faults.next('send', { status: 404 });
    const err = await session.send('wrong host').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(session.outcome).toMatchObject({ reason: 'failed', error: { code: 'not_found' } });
  });

  it('a start against a wrong API host fails with NotFoundError, never as expiry', async () => {
    const { api, client } = await harness();
    const wrong = new AgentforceClient({
      myDomainUrl: api.url,
      apiBaseUrl: `${api.url}/not-the-api`,
      auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    });
    try {
      const session = wrong.session({ agentId: AGENT_ID });
      await expect(session.start()).rejects.toBeInstanceOf(NotFoundError);
      expect(session.outcome?.reason).toBe('failed');
    } finally {
      wrong.close();
      client.close();
    }
  });

  it('an expired token: a 401 refreshes the token once and repeats the request', async () => {
    const { api, session } = await harness({ emulator: { tokenTtlMs: 5 * 60_000 } });
    await session.start();
    api.clock.advance(6 * 60_000);
    const turn = await session.send('after the token expired');
    expect(turn.text).toContain('after the token expired');
    expect(traffic(api).slice(-3)).toEqual(['send 401', 'token 200', 'send 200']);
  });

  it('a 401 that survives the refresh is an AuthenticationError and closes the session', async () => {
    const { api, session } = await harness();
    await session.start();
    api.faults.next('send', { status: 401 }, { times: 2 });
    await expect(session.send('no entry')).rejects.toBeInstanceOf(AuthenticationError);
    await session.closed;
    expect(session.outcome).toMatchObject({ reason: 'failed', error: { code: 'authentication' } });
  });

  it('a token refused mid-session still ends the server session (DELETE with a new token, reason Error)', async () => {
    const { api, session } = await harness();
    const { sessionId } = await session.start();
    // The message gets a 401 and the token endpoint refuses a new token once.
    api.faults.next('send', { status: 401 });
    api.faults.next('token', { status: 401 });
    await expect(session.send('no entry')).rejects.toBeInstanceOf(AuthenticationError);
    const outcome = await session.closed;
    expect(outcome).toMatchObject({ reason: 'failed', error: { code: 'authentication' } });
    expect(api.sessions()).toMatchObject([{ sessionId, status: 'ended', endReason: 'Error' }]);
  });

  it('a token refused for good: the DELETE fails too, and session.end-failed says the server session may be open', async () => {
    const { api, session } = await harness();
    const { sessionId } = await session.start();
    api.faults.next('send', { status: 401 }, { times: 2 });
    api.faults.next('end', { status: 401 }, { times: 2 });
    const failed: unknown[] = [];
    session.on('session.end-failed', (e) => failed.push(e));
    await expect(session.send('no entry')).rejects.toBeInstanceOf(AuthenticationError);
    expect(await session.closed).toMatchObject({ reason: 'failed' });
    expect(failed).toMatchObject([
      { sessionId, reason: 'Error', error: { code: 'authentication' } },
    ]);
    expect(api.sessions()).toMatchObject([{ sessionId, status: 'open' }]);
  });

  it('wrong credentials: start fails with AuthenticationError (the OAuth error), the secret nowhere in it', async () => {
    const api = await startFakeAgentApi({
      anyAgentId: true,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    const client = new AgentforceClient({
      myDomainUrl: api.url,
      auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: 'not-the-secret-xyz' }),
    });
    try {
      const session = client.session({ agentId: AGENT_ID });
      const err = await session.start().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthenticationError);
      expect(JSON.stringify(err) + String(err) + JSON.stringify(session.outcome)).not.toContain(
        'not-the-secret-xyz',
      );
      expect(session.state).toBe('closed');
    } finally {
      client.close();
      await api.close();
    }
  });

  it('fetches the token once for many concurrent sessions', async () => {
    const { api, client } = await harness();
    const sessions = Array.from({ length: 10 }, () => client.session({ agentId: AGENT_ID }));
    await Promise.all(sessions.map((s) => s.start()));
    expect(api.requests.filter((r) => r.route === 'token')).toHaveLength(1);
    const result = await client.shutdown();
    expect(result).toEqual({ ended: 11, failed: [] });
  });
});

describe('a message waiting on a start that fails', () => {
  it('rejects with the start failure itself, not a generic closed error', async () => {
    const { api, session } = await harness();
    api.faults.next('start', { status: 403 });
    await expect(session.send('hello?')).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it('a 200 on the stream route that is not an event stream is a malformed reply', async () => {
    const { api, session } = await harness();
    await session.start();
    api.faults.next('stream', { malformed: 'json' });
    await expect(session.stream('hi').turn).rejects.toBeInstanceOf(MalformedResponseError);
  });
});
