import { afterEach, describe, expect, it } from 'vitest';
import type { FakeAgentApi } from '../../src/fake-server/index.js';
import { call, checkError, getToken, send, startApi, startSession } from './helpers.js';

function post(url: string, body?: unknown) {
  return call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

describe('control API under /__emulator/', () => {
  let api: FakeAgentApi;
  afterEach(async () => api?.close());

  it('queues, lists and clears faults', async () => {
    api = await startApi();
    const c = `${api.url}/__emulator`;
    const token = await getToken(api);
    const { sessionId } = await startSession(api, token);
    const queued = await post(`${c}/faults`, {
      route: 'send',
      fault: { status: 429, retryAfter: 5 },
      times: 2,
      sessionId,
    });
    expect(queued.status).toBe(201);
    expect(queued.body.pending).toEqual([
      { route: 'send', fault: { status: 429, retryAfter: 5 }, remaining: 2, sessionId },
    ]);
    const r = await send(api, token, sessionId, 'x');
    checkError(r, 429, 'TooManyRequestsError');
    expect(r.headers.get('retry-after')).toBe('5');
    const listed = await call(`${c}/faults`);
    expect(listed.body).toMatchObject({ injected: { 'status:429': 1 }, random: false });
    expect(listed.body.pending[0].remaining).toBe(1);
    expect((await call(`${c}/faults`, { method: 'DELETE' })).status).toBe(204);
    expect((await send(api, token, sessionId, 'x')).status).toBe(200);
  });

  it('rejects bad faults with 400 and a message', async () => {
    api = await startApi();
    const c = `${api.url}/__emulator`;
    const bad = await post(`${c}/faults`, { route: 'send', fault: { status: 99 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/status/);
    expect((await post(`${c}/faults`, { route: 'nowhere', fault: { status: 500 } })).status).toBe(
      400,
    );
    const notJson = await call(`${c}/faults`, { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
    expect((await post(`${c}/faults/random`, { seed: 'x', rates: {} })).status).toBe(400);
    expect((await call(`${c}/nothing-here`)).status).toBe(404);
  });

  it('turns random faults on', async () => {
    api = await startApi();
    const c = `${api.url}/__emulator`;
    const token = await getToken(api);
    const { sessionId } = await startSession(api, token);
    expect(
      (await post(`${c}/faults/random`, { seed: 3, rates: { 'status:500': 1 }, routes: ['send'] }))
        .status,
    ).toBe(200);
    expect((await send(api, token, sessionId, 'x')).status).toBe(500);
    expect((await call(`${c}/faults`)).body.random).toBe(true);
  });

  it('expires and ends sessions, lists sessions and requests, advances the clock, shows stats', async () => {
    api = await startApi();
    const c = `${api.url}/__emulator`;
    const token = await getToken(api);
    const a = (await startSession(api, token)).sessionId;
    const b = (await startSession(api, token)).sessionId;
    expect((await post(`${c}/sessions/${a}/expire`)).status).toBe(200);
    expect((await post(`${c}/sessions/${a}/expire`)).status).toBe(404);
    checkError(await send(api, token, a, 'x'), 404, 'NotFoundException');
    expect((await post(`${c}/sessions/${b}/end`, { reason: 'Error' })).status).toBe(200);
    const ended = await send(api, token, b, 'x');
    expect((ended.body.messages as unknown[]).at(-1)).toMatchObject({
      type: 'SessionEnded',
      reason: 'Error',
    });

    const sessions = await call(`${c}/sessions`);
    expect(sessions.body.open).toBe(0);
    expect((sessions.body.sessions as { status: string }[]).map((s) => s.status).sort()).toEqual([
      'ended',
      'expired',
    ]);

    const requests = await call(`${c}/requests`);
    expect((requests.body.requests as { route: string }[]).map((r) => r.route)).toEqual([
      'token',
      'start',
      'start',
      'send',
      'send',
    ]);
    expect(JSON.stringify(requests.body)).not.toContain(token);

    const before = (await call(`${c}/clock`)).body.now as number;
    const adv = await post(`${c}/clock/advance`, { ms: 60_000 });
    expect(adv.body.now).toBeGreaterThanOrEqual(before + 60_000);
    expect(adv.body.offsetMs).toBe(60_000);
    expect((await post(`${c}/clock/advance`, { ms: -1 })).status).toBe(400);

    const stats = await call(`${c}/stats`);
    expect(stats.body).toMatchObject({
      requests: 5,
      byRoute: { token: { '200': 1 }, start: { '200': 2 }, send: { '200': 1, '404': 1 } },
      openSessions: 0,
    });
    expect((await call(`${c}/requests`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`${c}/requests`)).body.requests).toEqual([]);
    expect((await call(`${c}/sessions`)).body.sessions).toEqual([]);
    expect((await call(`${c}/stats`)).body.requests).toBe(0);
    const info = await call(`${c}/info`);
    expect(info.body).toMatchObject({ url: api.url, apiUrl: api.apiUrl });
  });

  it('control requests are not recorded, faulted or authenticated', async () => {
    api = await startApi();
    api.faults.next('*', { status: 500 }, { times: 5 });
    expect((await call(`${api.url}/__emulator/stats`)).status).toBe(200);
    expect(api.requests).toEqual([]);
    expect(api.faults.pending[0]!.remaining).toBe(5);
  });
});
