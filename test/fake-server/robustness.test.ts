import { connect } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { apiPaths } from '../../src/api/index.js';
import { startFakeAgentApi, type FakeAgentApi } from '../../src/fake-server/index.js';
import {
  AGENT_ID,
  call,
  MY_DOMAIN_URL,
  checkError,
  getToken,
  jsonHeaders,
  send,
  startApi,
  startSession,
  until,
} from './helpers.js';

/** Sends raw bytes and collects what comes back until the server closes (or `ms` passes). */
function raw(
  api: FakeAgentApi,
  chunks: string[],
  ms = 3000,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(api.port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, ms);
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
    });
  });
}

describe('robustness', () => {
  let api: FakeAgentApi;
  afterEach(async () => api?.close());

  it('a slow partial body is cut off by the request timeout (408) and the connection closed', async () => {
    api = await startApi({ requestTimeoutMs: 200 });
    const started = Date.now();
    const r = await raw(api, [
      'POST /einstein/ai-agent/v1/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
    ]);
    expect(r.closed).toBe(true);
    expect(r.text).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('partial headers are cut off too', async () => {
    api = await startApi({ requestTimeoutMs: 200 });
    const r = await raw(api, ['POST /einstein/ai-agent/v1/status HTTP/1.1\r\nHost: x\r\n']);
    expect(r.closed).toBe(true);
  });

  it('garbage instead of HTTP gets 400 and a closed connection', async () => {
    api = await startApi();
    const r = await raw(api, ['\x00\x01\x02 not http at all\r\n\r\n']);
    expect(r.closed).toBe(true);
    expect(r.text).toMatch(/^HTTP\/1\.1 400/);
  });

  it('a declared body far too large is refused at once with 413', async () => {
    api = await startApi({ maxBodyBytes: 10 });
    const r = await raw(api, [
      'POST /einstein/ai-agent/v1/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999999999\r\n\r\n{',
    ]);
    expect(r.text).toMatch(/^HTTP\/1\.1 413/);
    expect(r.closed).toBe(true);
  });

  it('bad percent-encoding in a path is a generic 404; weird ids are fine', async () => {
    api = await startApi();
    const token = await getToken(api);
    const r = await call(`${api.apiUrl}/sessions/%E0%A4%A/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    checkError(r, 404, 'NotFoundError');
    const weird = 'a b/c?d';
    checkError(
      await send(api, token, weird, 'x'),
      404,
      'NotFoundException',
      `V6Session not found for sessionId: ${weird}`,
    );
  });

  it('close() is idempotent and ends keep-alive connections and requests in flight', async () => {
    api = await startApi({ latencyMs: 5000 });
    const token = await getToken(api);
    const pending = call(api.url + apiPaths.status(), {
      headers: { authorization: `Bearer ${token}` },
    });
    await new Promise((r) => setTimeout(r, 30));
    const started = Date.now();
    await Promise.all([api.close(), api.close()]);
    await api.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(pending).rejects.toThrow();
  });

  it('handles many sessions in parallel', async () => {
    api = await startApi();
    const token = await getToken(api);
    const ids = await Promise.all(
      Array.from({ length: 20 }, async () => (await startSession(api, token)).sessionId),
    );
    const replies = await Promise.all(ids.map((id, i) => send(api, token, id, `q${i}`)));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    replies.forEach((r, i) => expect(r.body.messages[0].message).toContain(`"q${i}"`));
    expect(api.openSessionCount()).toBe(20);
  });

  it('a client that gives up during a sync request is counted, and the session unlocked', async () => {
    api = await startApi();
    const token = await getToken(api);
    const { sessionId } = await startSession(api, token);
    api.faults.next('send', { delayMs: 5000 });
    const controller = new AbortController();
    const pending = fetch(api.url + apiPaths.messages(sessionId), {
      method: 'POST',
      headers: jsonHeaders(token),
      body: JSON.stringify({ message: { type: 'Text', sequenceId: 1, text: 'slow' } }),
      signal: controller.signal,
    });
    await until(() => api.sessions()[0]!.inFlight);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await until(() => api.stats.clientClosedMidRequest === 1);
    expect(api.sessions()[0]!.inFlight).toBe(false);
    expect(api.sessions()[0]!.sequenceIds).toEqual([1]);
    expect(api.requests.at(-1)!.outcome).toBe('client-closed');
    expect((await send(api, token, sessionId, 'next')).status).toBe(200);
  });

  it('any JSON body gets a documented answer: never a 500, never a hang', async () => {
    api = await startApi();
    const token = await getToken(api);
    const { sessionId } = await startSession(api, token);
    const routes = [
      api.url + '/einstein/ai-agent/v1/sessions/' + sessionId + '/messages',
      api.url + '/einstein/ai-agent/v1/sessions/' + sessionId + '/feedback',
      api.url + '/einstein/ai-agent/v1/agents/' + AGENT_ID + '/sessions',
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.jsonValue(), async (url, body) => {
        const r = await call(url, {
          method: 'POST',
          headers: jsonHeaders(token),
          body: JSON.stringify(body),
        });
        expect([200, 202, 400]).toContain(r.status);
        if (r.status === 400) checkError(r, 400, 'BadRequestError');
      }),
      { numRuns: 60 },
    );
  });

  it('maxRecordedRequests bounds the log, not the counters', async () => {
    api = await startApi({ maxRecordedRequests: 3 });
    const token = await getToken(api);
    for (let i = 0; i < 10; i++)
      await call(api.url + apiPaths.status(), { headers: { authorization: `Bearer ${token}` } });
    expect(api.requests).toHaveLength(3);
    expect(api.stats.requests).toBe(11);
  });
});

describe('options', () => {
  it('rejects bad options with a TypeError naming them', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ port: -1 }, /"port"/],
      [{ port: 70000 }, /"port"/],
      [{ port: 1.5 }, /"port"/],
      [{ host: '' }, /"host"/],
      [{ sessionTtlMs: 0 }, /"sessionTtlMs"/],
      [{ latencyMs: -5 }, /"latencyMs"/],
      [{ latencyMs: Number.NaN }, /"latencyMs"/],
      [{ strictSequence: 'yes' }, /"strictSequence"/],
      [{ tokenTtlMs: 'long' }, /"tokenTtlMs"/],
      [{ clientId: 5 }, /"clientId"/],
      [{ clientSecret: '' }, /"clientSecret"/],
      [{ requireAuth: 1 }, /"requireAuth"/],
      [{ streamChunkDelayMs: -1 }, /"streamChunkDelayMs"/],
      [{ maxBodyBytes: 0 }, /"maxBodyBytes"/],
      [{ clock: {} }, /"clock"/],
      [{ requestTimeoutMs: 0 }, /"requestTimeoutMs"/],
      [{ colour: 'blue' }, /unknown option "colour"/],
    ];
    for (const [options, message] of bad) {
      await expect(startFakeAgentApi(options as never)).rejects.toThrow(TypeError);
      await expect(startFakeAgentApi(options as never)).rejects.toThrow(message);
    }
  });

  it('listens on a given port and host, and rejects a taken port', async () => {
    const first = await startFakeAgentApi();
    try {
      expect(first.url).toBe(`http://127.0.0.1:${first.port}`);
      expect(first.apiUrl).toBe(`${first.url}/einstein/ai-agent/v1`);
      await expect(startFakeAgentApi({ port: first.port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
    const again = await startFakeAgentApi({ port: first.port, host: '127.0.0.1' });
    expect(again.port).toBe(first.port);
    await again.close();
  });

  it('uses an injected clock for timestamps and expiry', async () => {
    let t = 1_700_000_000_000;
    const api = await startFakeAgentApi({
      clock: { now: () => t },
      sessionTtlMs: 1000,
      myDomainUrl: MY_DOMAIN_URL,
    });
    try {
      const token = await getToken(api);
      const { sessionId } = await startSession(api, token);
      expect(api.sessions()[0]!.createdAt).toBe(t);
      t += 999;
      expect(api.openSessionCount()).toBe(1);
      api.clock.advance(1);
      expect(api.clock.now()).toBe(t + 1);
      expect(api.openSessionCount()).toBe(0);
      const r = await send(api, token, sessionId, 'x');
      expect(r.body.timestamp).toBe(t + 1);
    } finally {
      await api.close();
    }
  });
});
