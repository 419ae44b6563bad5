import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiPaths, AGENT_API_PREFIX, isSessionNotFoundBody } from '../../src/api/index.js';
import type { FakeAgentApi } from '../../src/fake-server/index.js';
import {
  AGENT_ID,
  call,
  checkError,
  checkLinks,
  checkMessagesReply,
  endSession,
  getToken,
  jsonHeaders,
  nextSeq,
  send,
  startApi,
  startBody,
  startSession,
  until,
} from './helpers.js';

describe('Agent API routes', () => {
  let api: FakeAgentApi;
  let token: string;
  beforeEach(async () => {
    api = await startApi();
    token = await getToken(api);
  });
  afterEach(async () => api.close());

  describe('happy paths', () => {
    it('GET /status answers UP', async () => {
      const r = await call(api.url + apiPaths.status(), { headers: jsonHeaders(token) });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ status: 'UP' });
      expect(r.headers.get('x-request-id')).toBeTruthy();
    });

    it('starts a session with links, a greeting and x-session-mode', async () => {
      const { sessionId, reply } = await startSession(api, token);
      expect(sessionId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(reply.headers.get('x-session-mode')).toBe('default');
      checkLinks(reply.body._links, api.url, sessionId);
      expect(reply.body.messages).toHaveLength(1);
      expect(reply.body.messages[0]).toMatchObject({
        type: 'Inform',
        feedbackId: '',
        planId: '',
        isContentSafe: true,
        result: [],
        citedReferences: [],
      });
      expect(reply.body.messages[0].message).toMatch(/^Hi, I'm the Agentforce emulator/);
      const [info] = api.sessions();
      expect(info).toMatchObject({ sessionId, agentId: AGENT_ID, status: 'open', sequenceIds: [] });
      expect(api.openSessionCount()).toBe(1);
    });

    it('sends a message and gets {messages, _links}', async () => {
      const { sessionId } = await startSession(api, token);
      const r = await send(api, token, sessionId, 'What can you do?');
      expect(r.status).toBe(200);
      checkMessagesReply(r.body);
      checkLinks(r.body._links, api.url, sessionId);
      const [inform] = r.body.messages;
      expect(inform.type).toBe('Inform');
      expect(inform.message).toContain('You said: "What can you do?"');
      expect(inform.feedbackId).toBe(inform.planId);
      expect(inform.feedbackId).toMatch(/^[0-9a-f-]{36}$/);
      expect(inform.isContentSafe).toBe(true);
    });

    it('ends a session; afterwards it is gone (404 NotFoundException)', async () => {
      const { sessionId } = await startSession(api, token);
      const r = await endSession(api, token, sessionId, 'UserRequest');
      expect(r.status).toBe(200);
      checkMessagesReply(r.body);
      expect(r.body.messages).toEqual([
        { type: 'SessionEnded', id: expect.any(String), reason: 'ClientRequest', feedbackId: '' },
      ]);
      checkLinks(r.body._links, api.url, sessionId);
      expect(api.sessions()[0]).toMatchObject({
        status: 'ended',
        endReason: 'UserRequest',
        endedBy: 'client',
      });
      for (const again of [
        await send(api, token, sessionId, 'hello?'),
        await endSession(api, token, sessionId),
        await call(api.url + apiPaths.feedback(sessionId), {
          method: 'POST',
          headers: jsonHeaders(token),
          body: JSON.stringify({ feedbackId: 'x', feedback: 'GOOD' }),
        }),
      ]) {
        const body = checkError(
          again,
          404,
          'NotFoundException',
          `V6Session not found for sessionId: ${sessionId}`,
        );
        expect(isSessionNotFoundBody(body)).toBe(true);
      }
      expect(api.openSessionCount()).toBe(0);
    });

    it('accepts feedback with 202 and an empty body, and records it', async () => {
      const { sessionId } = await startSession(api, token);
      const sent = await send(api, token, sessionId, 'hello');
      const feedbackId = sent.body.messages[0].feedbackId as string;
      const r = await call(api.url + apiPaths.feedback(sessionId), {
        method: 'POST',
        headers: jsonHeaders(token),
        body: JSON.stringify({ feedbackId, feedback: 'GOOD', text: 'nice', details: { a: 1 } }),
      });
      expect(r.status).toBe(202);
      expect(r.text).toBe('');
      const other = await call(api.url + apiPaths.feedback(sessionId), {
        method: 'POST',
        headers: jsonHeaders(token),
        body: JSON.stringify({ feedbackId: 'made-up', feedback: 'BAD' }),
      });
      expect(other.status).toBe(202);
      expect(api.sessions()[0]!.feedback).toEqual([
        expect.objectContaining({ feedbackId, feedback: 'GOOD', text: 'nice', known: true }),
        expect.objectContaining({ feedbackId: 'made-up', feedback: 'BAD', known: false }),
      ]);
    });

    it('records sequenceIds in order and keeps variables', async () => {
      const { sessionId } = await startSession(api, token, {
        variables: [{ name: '$Context.EndUserLanguage', type: 'Text', value: 'en_US' }],
      });
      await send(api, token, sessionId, 'one', { sequenceId: 10 });
      await send(
        api,
        token,
        sessionId,
        'two',
        { sequenceId: 5 },
        {
          variables: [{ name: 'Tier', type: 'Text', value: 'Gold' }],
        },
      );
      const info = api.sessions()[0]!;
      expect(info.sequenceIds).toEqual([10, 5]);
      expect(Object.keys(info.variables).sort()).toEqual(['$Context.EndUserLanguage', 'Tier']);
    });
  });

  describe('errors', () => {
    it('400 for an invalid agent id', async () => {
      const r = await call(api.url + apiPaths.startSession('not-an-agent'), {
        method: 'POST',
        headers: jsonHeaders(token),
        body: JSON.stringify(startBody()),
      });
      checkError(r, 400, 'BadRequestError', 'not-an-agent is not a valid agent ID');
      expect(r.body.path).toBe('v6.0.0/agents/not-an-agent/sessions');
    });

    it('400 naming the bad field of a start body', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ externalSessionKey: 'nope' }, /externalSessionKey/],
        [{ instanceConfig: {} }, /instanceConfig\.endpoint/],
        [{ instanceConfig: undefined }, /instanceConfig/],
        [{ variables: [{ name: 'x', type: 'Number', value: 'one' }] }, /variables\.0\.value/],
        [{ featureSupport: 'Sometimes' }, /featureSupport/],
      ];
      for (const [extra, field] of cases) {
        const r = await call(api.url + apiPaths.startSession(AGENT_ID), {
          method: 'POST',
          headers: jsonHeaders(token),
          body: JSON.stringify(startBody(extra)),
        });
        checkError(r, 400, 'BadRequestError', field);
      }
      expect(api.openSessionCount()).toBe(0);
    });

    it('400 naming the bad field of a send body', async () => {
      const { sessionId } = await startSession(api, token);
      const bodies: [unknown, RegExp][] = [
        [{ message: { type: 'Text', text: 'x' } }, /message\.sequenceId/],
        [{ message: { type: 'Text', sequenceId: 'one', text: 'x' } }, /message\.sequenceId/],
        [{ message: { type: 'Text', sequenceId: 1 } }, /message\.text/],
        [{ message: { type: 'Shout', sequenceId: 1, text: 'x' } }, /message\.type/],
        [{}, /message/],
        [[1, 2], /Invalid request body/],
      ];
      for (const [body, field] of bodies) {
        const r = await call(api.url + apiPaths.messages(sessionId), {
          method: 'POST',
          headers: jsonHeaders(token),
          body: JSON.stringify(body),
        });
        checkError(r, 400, 'BadRequestError', field);
      }
      expect(api.sessions()[0]!.sequenceIds).toEqual([]);
    });

    it('400 for a missing or invalid x-session-end-reason', async () => {
      const { sessionId } = await startSession(api, token);
      checkError(
        await endSession(api, token, sessionId, null),
        400,
        'BadRequestError',
        /x-session-end-reason/,
      );
      checkError(await endSession(api, token, sessionId, 'Bored'), 400, 'BadRequestError', /Bored/);
      expect(api.openSessionCount()).toBe(1);
      for (const reason of ['UserRequest', 'Transfer', 'Expiration', 'Error', 'Other']) {
        const s = await startSession(api, token);
        expect((await endSession(api, token, s.sessionId, reason)).status).toBe(200);
      }
    });

    it('400 for a bad feedback body', async () => {
      const { sessionId } = await startSession(api, token);
      for (const body of [
        { feedbackId: '', feedback: 'GOOD' },
        { feedbackId: 'x', feedback: 'MEH' },
        {
          feedbackId: 'x',
          feedback: 'GOOD',
          details: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, i])),
        },
      ]) {
        const r = await call(api.url + apiPaths.feedback(sessionId), {
          method: 'POST',
          headers: jsonHeaders(token),
          body: JSON.stringify(body),
        });
        checkError(r, 400, 'BadRequestError');
      }
    });

    it('401 without a token, with a foreign token, or a malformed header', async () => {
      const { sessionId } = await startSession(api, token);
      const headersList: Record<string, string>[] = [
        jsonHeaders(undefined),
        jsonHeaders('not.a.token'),
        { ...jsonHeaders(undefined), authorization: 'Basic abc' },
        { ...jsonHeaders(undefined), authorization: 'Bearer' },
      ];
      for (const headers of headersList) {
        const r = await call(api.url + apiPaths.messages(sessionId), {
          method: 'POST',
          headers,
          body: JSON.stringify({ message: { type: 'Text', sequenceId: 1, text: 'x' } }),
        });
        checkError(r, 401, 'UnauthorizedException', 'Access bearer token is missing or invalid');
      }
      checkError(await call(api.url + apiPaths.status()), 401, 'UnauthorizedException');
      expect(api.sessions()[0]!.sequenceIds).toEqual([]);
    });

    it('401 once the token expired on the clock', async () => {
      const { sessionId } = await startSession(api, token);
      api.clock.advance(30 * 60 * 1000);
      checkError(await send(api, token, sessionId, 'x'), 401, 'UnauthorizedException');
    });

    it('requireAuth: false lets requests in without a token', async () => {
      const open = await startApi({ requireAuth: false });
      try {
        const r = await call(open.url + apiPaths.startSession(AGENT_ID), {
          method: 'POST',
          headers: jsonHeaders(undefined),
          body: JSON.stringify(startBody()),
        });
        expect(r.status).toBe(200);
      } finally {
        await open.close();
      }
    });

    it('404 generic for unknown paths, NotFoundException for unknown sessions', async () => {
      for (const path of [
        `${AGENT_API_PREFIX}/nope`,
        `${AGENT_API_PREFIX}/sessions/x/messages/extra`,
        '/einstein/ai-agent/v1.1/preview/sessions',
        '/einstein/ai-agent/v1.1/preview/sessions/abc/plans/def',
        '/einstein/ai-agent/v1.1/authoring/agents',
        '/einstein/evaluation/v1/tests',
        '/',
      ]) {
        const r = await call(api.url + path, {
          method: 'POST',
          headers: jsonHeaders(token),
          body: '{}',
        });
        const body = checkError(r, 404, 'NotFoundError', 'Resource not found');
        expect(isSessionNotFoundBody(body)).toBe(false);
      }
      const unknown = randomUUID();
      const r = await send(api, token, unknown, 'hi');
      const body = checkError(
        r,
        404,
        'NotFoundException',
        `V6Session not found for sessionId: ${unknown}`,
      );
      expect(body.path).toBe(`v6.0.0/sessions/${unknown}/messages`);
      expect(isSessionNotFoundBody(body)).toBe(true);
    });

    it('405 for a known path with the wrong method', async () => {
      const r = await call(api.url + apiPaths.status(), {
        method: 'POST',
        headers: jsonHeaders(token),
        body: '{}',
      });
      checkError(r, 405, 'MethodNotAllowedError');
      expect(r.headers.get('allow')).toBe('GET');
    });

    it('500 "Unsupported Media Type" for a non-JSON content type', async () => {
      const { sessionId } = await startSession(api, token);
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
        const r = await call(api.url + apiPaths.messages(sessionId), {
          method: 'POST',
          headers: { ...jsonHeaders(token), 'content-type': contentType },
          body: JSON.stringify({ message: { type: 'Text', sequenceId: 1, text: 'x' } }),
        });
        checkError(r, 500, undefined, 'Unsupported Media Type');
      }
      const start = await call(api.url + apiPaths.startSession(AGENT_ID), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify(startBody()),
      });
      checkError(start, 500, undefined, 'Unsupported Media Type');
    });

    it('400 for malformed JSON, an empty body and invalid UTF-8', async () => {
      const { sessionId } = await startSession(api, token);
      const url = api.url + apiPaths.messages(sessionId);
      const headers = jsonHeaders(token);
      checkError(
        await call(url, { method: 'POST', headers, body: '{"message":' }),
        400,
        'BadRequestError',
        /Malformed JSON/,
      );
      checkError(
        await call(url, { method: 'POST', headers, body: '' }),
        400,
        'BadRequestError',
        /missing/,
      );
      const bad = Buffer.concat([
        Buffer.from('{"message":{"type":"Text","sequenceId":1,"text":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}}'),
      ]);
      checkError(
        await call(url, { method: 'POST', headers, body: bad }),
        400,
        'BadRequestError',
        /UTF-8/,
      );
    });

    it('413 for a body over maxBodyBytes', async () => {
      const small = await startApi({ maxBodyBytes: 1000 });
      try {
        const t = await getToken(small);
        const { sessionId } = await startSession(small, t);
        const r = await send(small, t, sessionId, 'x'.repeat(5000));
        checkError(r, 413, 'PayloadTooLargeError', /1000 bytes/);
        // The server is still fine afterwards.
        expect((await send(small, t, sessionId, 'ok')).status).toBe(200);
      } finally {
        await small.close();
      }
      // Default 1 MiB.
      const { sessionId } = await startSession(api, token);
      checkError(await send(api, token, sessionId, 'y'.repeat(1024 * 1024 + 10)), 413);
    });

    it('423 for a second request while one is in flight for the session', async () => {
      const slow = await startApi();
      try {
        const t = await getToken(slow);
        const { sessionId } = await startSession(slow, t);
        slow.faults.next('send', { delayMs: 600 });
        const first = send(slow, t, sessionId, 'first');
        await until(() => slow.sessions()[0]!.inFlight);
        const [second, end] = await Promise.all([
          send(slow, t, sessionId, 'second'),
          endSession(slow, t, sessionId),
        ]);
        checkError(second, 423, 'ServerBusyError', 'Session Already Locked');
        checkError(end, 423, 'ServerBusyError');
        expect((await first).status).toBe(200);
        expect((await send(slow, t, sessionId, 'third')).status).toBe(200);
        expect(slow.sessions()[0]!.sequenceIds).toHaveLength(2);
      } finally {
        await slow.close();
      }
    });

    it('every reply carries X-Request-ID, matching the error body', async () => {
      const r = await call(api.url + apiPaths.status());
      expect(r.headers.get('x-request-id')).toBe(r.body.requestId);
      const ids = new Set(api.requests.map((q) => q.requestId));
      expect(ids.size).toBe(api.requests.length);
    });
  });

  describe('session lifetime', () => {
    it('expires a session after sessionTtlMs of inactivity on the clock', async () => {
      const { sessionId } = await startSession(api, token);
      api.clock.advance(14 * 60 * 1000);
      expect((await send(api, token, sessionId, 'still here')).status).toBe(200);
      api.clock.advance(14 * 60 * 1000);
      expect(api.openSessionCount()).toBe(1);
      api.clock.advance(60 * 1000);
      expect(api.openSessionCount()).toBe(0);
      expect(api.sessions()[0]).toMatchObject({ status: 'expired', endReason: 'Expiration' });
      const fresh = await getToken(api);
      checkError(await send(api, fresh, sessionId, 'gone?'), 404, 'NotFoundException');
    });

    it('expireSession() expires a session now', async () => {
      const { sessionId } = await startSession(api, token);
      expect(api.expireSession(sessionId)).toBe(true);
      expect(api.expireSession(sessionId)).toBe(false);
      checkError(await endSession(api, token, sessionId), 404, 'NotFoundException');
    });

    it('strictSequence rejects a sequenceId not greater than the last one', async () => {
      const strict = await startApi({ strictSequence: true });
      try {
        const t = await getToken(strict);
        const { sessionId } = await startSession(strict, t);
        expect((await send(strict, t, sessionId, 'a', { sequenceId: 5 })).status).toBe(200);
        checkError(
          await send(strict, t, sessionId, 'b', { sequenceId: 5 }),
          400,
          'BadRequestError',
          /sequenceId/,
        );
        checkError(
          await send(strict, t, sessionId, 'c', { sequenceId: 3 }),
          400,
          'BadRequestError',
          /sequenceId/,
        );
        expect((await send(strict, t, sessionId, 'd', { sequenceId: 1000 })).status).toBe(200);
        expect(strict.sessions()[0]!.sequenceIds).toEqual([5, 1000]);
      } finally {
        await strict.close();
      }
      // Not strict by default: repeats and decreases are accepted.
      const { sessionId } = await startSession(api, token);
      expect((await send(api, token, sessionId, 'a', { sequenceId: 5 })).status).toBe(200);
      expect((await send(api, token, sessionId, 'b', { sequenceId: 5 })).status).toBe(200);
      void nextSeq;
    });
  });
});
