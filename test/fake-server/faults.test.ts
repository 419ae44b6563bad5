import { afterEach, describe, expect, it } from 'vitest';
import { TOKEN_PATH, apiPaths } from '../../src/api/index.js';
import { FaultInjector, type FakeAgentApi } from '../../src/fake-server/index.js';
import {
  AGENT_ID,
  call,
  checkError,
  endSession,
  getToken,
  jsonHeaders,
  send,
  startApi,
  startBody,
  startSession,
  until,
} from './helpers.js';

describe('fault injection', () => {
  let api: FakeAgentApi;
  let token: string;
  afterEach(async () => api?.close());

  async function setup() {
    api = await startApi();
    token = await getToken(api);
    const { sessionId } = await startSession(api, token);
    return sessionId;
  }

  it('status faults use the documented error class of each status', async () => {
    const sessionId = await setup();
    const expected: [number, string][] = [
      [400, 'BadRequestError'],
      [401, 'UnauthorizedException'],
      [403, 'ForbiddenError'],
      [404, 'NotFoundError'],
      [422, 'RequestProcessingException'],
      [423, 'ServerBusyError'],
      [429, 'TooManyRequestsError'],
      [500, 'HttpServerErrorException'],
      [503, 'ServiceUnavailable'],
    ];
    for (const [status, error] of expected) {
      api.faults.next('send', { status });
      checkError(await send(api, token, sessionId, 'x'), status, error);
    }
    // A status fault does not consume the turn.
    expect(api.sessions()[0]!.sequenceIds).toEqual([]);
    expect(api.faults.injected['status:429']).toBe(1);
  });

  it('429 with Retry-After, and a custom error/message/body', async () => {
    const sessionId = await setup();
    api.faults.next('send', { status: 429, retryAfter: 3 });
    const r = await send(api, token, sessionId, 'x');
    checkError(r, 429, 'TooManyRequestsError', 'Too many requests for the server to handle');
    expect(r.headers.get('retry-after')).toBe('3');
    api.faults.next('start', {
      status: 500,
      error: 'EngineConfigLookupException',
      message: 'bad endpoint',
    });
    const s = await call(api.url + apiPaths.startSession(AGENT_ID), {
      method: 'POST',
      headers: jsonHeaders(token),
      body: JSON.stringify(startBody()),
    });
    checkError(s, 500, 'EngineConfigLookupException', 'bad endpoint');
    api.faults.next('status', { status: 502, body: '<html>bad gateway</html>' });
    const g = await call(api.url + apiPaths.status(), { headers: jsonHeaders(token) });
    expect(g.status).toBe(502);
    expect(g.text).toBe('<html>bad gateway</html>');
  });

  it('a status fault on the token route answers the OAuth error body', async () => {
    await setup();
    api.faults.next('token', { status: 400 });
    const r = await call(api.url + TOKEN_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=a&client_secret=b',
    });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
  });

  it('times and sessionId scope a fault; faults are used in order', async () => {
    const a = await setup();
    const { sessionId: b } = await startSession(api, token);
    api.faults.next('send', { status: 503 }, { times: 2, sessionId: b });
    expect((await send(api, token, a, 'x')).status).toBe(200);
    expect((await send(api, token, b, 'x')).status).toBe(503);
    expect((await send(api, token, b, 'x')).status).toBe(503);
    expect((await send(api, token, b, 'x')).status).toBe(200);
    api.faults.next('*', { status: 500 });
    api.faults.next('*', { status: 503 });
    expect((await call(api.url + apiPaths.status(), { headers: jsonHeaders(token) })).status).toBe(
      500,
    );
    expect((await send(api, token, a, 'x')).status).toBe(503);
    expect(api.faults.pending).toEqual([]);
  });

  it('delayMs delays the reply with the session locked', async () => {
    const sessionId = await setup();
    api.faults.next('send', { delayMs: 300 });
    const started = Date.now();
    const first = send(api, token, sessionId, 'slow');
    await until(() => api.sessions()[0]!.inFlight);
    expect((await send(api, token, sessionId, 'busy')).status).toBe(423);
    expect((await first).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("drop 'before': the connection dies and nothing happens", async () => {
    const sessionId = await setup();
    api.faults.next('send', { drop: 'before' });
    await expect(send(api, token, sessionId, 'lost')).rejects.toThrow();
    expect(api.sessions()[0]!.sequenceIds).toEqual([]);
    expect(api.stats.dropped).toBe(1);
    expect(api.requests.at(-1)).toMatchObject({
      route: 'send',
      fault: 'dropBefore',
      outcome: 'dropped',
      status: 0,
    });
  });

  it("drop 'after': the turn is consumed, then the connection dies", async () => {
    const sessionId = await setup();
    api.faults.next('send', { drop: 'after' });
    await expect(send(api, token, sessionId, 'lost', { sequenceId: 77 })).rejects.toThrow();
    expect(api.sessions()[0]!.sequenceIds).toEqual([77]);
    expect(api.sessions()[0]!.inFlight).toBe(false);
    // A retry with the same sequenceId is a second turn (not strict by default).
    expect((await send(api, token, sessionId, 'lost', { sequenceId: 77 })).status).toBe(200);
    expect(api.sessions()[0]!.sequenceIds).toEqual([77, 77]);
    // drop after on end: the session really ended.
    api.faults.next('end', { drop: 'after' });
    await expect(endSession(api, token, sessionId)).rejects.toThrow();
    checkError(await endSession(api, token, sessionId), 404, 'NotFoundException');
  });

  it('malformed: 200 with a body that is not JSON, or not the documented shape', async () => {
    const sessionId = await setup();
    api.faults.next('send', { malformed: true });
    const r = await send(api, token, sessionId, 'x');
    expect(r.status).toBe(200);
    expect(() => JSON.parse(r.text) as unknown).toThrow();
    api.faults.next('send', { malformed: 'shape' });
    const s = await send(api, token, sessionId, 'x');
    expect(s.status).toBe(200);
    expect(s.body.messages).toBeUndefined();
  });

  it('sessionNotFound: the 404 NotFoundException, and the session really expires', async () => {
    const sessionId = await setup();
    api.faults.next('send', { sessionNotFound: true });
    checkError(await send(api, token, sessionId, 'x'), 404, 'NotFoundException');
    expect(api.sessions()[0]!.status).toBe('expired');
    checkError(await send(api, token, sessionId, 'x'), 404, 'NotFoundException');
  });

  it('sessionEnded: the send reply carries SessionEnded and the session is ended', async () => {
    const sessionId = await setup();
    api.faults.next('send', { sessionEnded: true, reason: 'Error' });
    const r = await send(api, token, sessionId, 'x');
    expect(r.status).toBe(200);
    expect((r.body.messages as unknown[]).at(-1)).toMatchObject({
      type: 'SessionEnded',
      reason: 'Error',
    });
    expect(api.sessions()[0]).toMatchObject({
      status: 'ended',
      endedBy: 'server',
      endReason: 'Error',
    });
  });

  it('endSessionFromServer: the next reply carries SessionEnded', async () => {
    const sessionId = await setup();
    expect(api.endSessionFromServer(sessionId)).toBe(true);
    expect(api.sessions()[0]!.status).toBe('open');
    const r = await send(api, token, sessionId, 'x');
    expect((r.body.messages as { type: string }[]).map((m) => m.type)).toEqual([
      'Inform',
      'SessionEnded',
    ]);
    expect(api.endSessionFromServer(sessionId)).toBe(false);
  });

  it('rejects invalid faults with a TypeError', async () => {
    await setup();
    expect(() => api.faults.next('send', { status: 200 })).toThrow(TypeError);
    expect(() => api.faults.next('bogus' as never, { status: 500 })).toThrow(/route/);
    expect(() => api.faults.next('send', {} as never)).toThrow(TypeError);
    expect(() => api.faults.next('start', { sessionEnded: true })).toThrow(/cannot apply/);
    expect(() => api.faults.next('status', { sessionNotFound: true })).toThrow(/cannot apply/);
    expect(() => api.faults.next('send', { status: 500 }, { times: 0 })).toThrow(/times/);
    expect(() => api.faults.random({ seed: 1, rates: { nope: 0.1 } })).toThrow(/unknown fault/);
    expect(() => api.faults.random({ seed: 1, rates: { 'status:500': 0.7, delay: 0.7 } })).toThrow(
      /sum/,
    );
    expect(() => api.faults.random({ seed: 1.5, rates: {} })).toThrow(/seed/);
  });

  it('random faults are seeded and deterministic, counted, and cleared', () => {
    const pick = (seed: number) => {
      const f = new FaultInjector();
      f.random({ seed, rates: { 'status:503': 0.2, dropBefore: 0.1, stall: 0.1 } });
      return Array.from({ length: 200 }, () => {
        const x = f.take('send', undefined);
        return x === undefined ? '-' : JSON.stringify(x);
      });
    };
    const a = pick(42);
    expect(pick(42)).toEqual(a);
    expect(pick(43)).not.toEqual(a);
    const faulted = a.filter((x) => x !== '-').length;
    expect(faulted).toBeGreaterThan(200 * 0.3 * 0.5);
    expect(faulted).toBeLessThan(200 * 0.3 * 1.6);
    // stall never applies to send.
    expect(a.some((x) => x.includes('stall'))).toBe(false);
    const f = new FaultInjector();
    f.random({ seed: 1, rates: { 'status:429': 1 }, routes: ['send'] });
    expect(f.take('start', undefined)).toBeUndefined();
    expect(f.take('send', undefined)).toEqual({ status: 429, retryAfter: 1 });
    expect(f.injected).toEqual({ 'status:429': 1 });
    f.clear();
    expect(f.take('send', undefined)).toBeUndefined();
  });

  it('random faults over HTTP: a soak of sends sees only documented outcomes', async () => {
    const sessionId = await setup();
    api.faults.random({
      seed: 7,
      rates: { 'status:503': 0.2, 'status:429': 0.1, dropBefore: 0.1, malformed: 0.05 },
      routes: ['send'],
    });
    const statuses = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      let key: string;
      try {
        const r = await send(api, token, sessionId, `n${i}`);
        key = r.status === 200 && r.body === undefined ? 'malformed' : String(r.status);
        if (r.status === 429) expect(r.headers.get('retry-after')).toBe('1');
      } catch {
        key = 'dropped';
      }
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
    for (const key of statuses.keys())
      expect(['200', '503', '429', 'dropped', 'malformed']).toContain(key);
    const injected = api.faults.injected;
    expect(statuses.get('503') ?? 0).toBe(injected['status:503'] ?? 0);
    expect(statuses.get('dropped') ?? 0).toBe(injected.dropBefore ?? 0);
    expect(statuses.get('200')).toBeGreaterThan(20);
  });
});
