import { afterEach, describe, expect, it } from 'vitest';
import { ErrorBodySchema, ValidationFailureChunkMessageSchema } from '../../src/api/index.js';
import type { FakeAgentApi } from '../../src/fake-server/index.js';
import {
  checkEnvelopes,
  checkError,
  getToken,
  readStream,
  send,
  startApi,
  startSession,
  streamRequest,
  until,
  type SseEvent,
} from './helpers.js';

const names = (events: SseEvent[]) => events.map((e) => e.event);
const chunkText = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === 'TEXT_CHUNK')
    .map((e) => e.json.message.message as string)
    .join('');

describe('POST /sessions/{id}/messages/stream', () => {
  let api: FakeAgentApi;
  afterEach(async () => api?.close());

  async function setup(options: Parameters<typeof startApi>[0] = {}) {
    api = await startApi(options);
    const token = await getToken(api);
    const { sessionId } = await startSession(api, token);
    return { token, sessionId };
  }

  it('streams progress, text chunks, the Inform and END_OF_TURN, then closes', async () => {
    const { token, sessionId } = await setup({ streamChunkDelayMs: 2 });
    const res = await streamRequest(api, token, sessionId, 'Tell me something nice about streams');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const { events, failed } = await readStream(res);
    expect(failed).toBe(false);
    checkEnvelopes(events);
    const order = names(events);
    expect(order[0]).toBe('PROGRESS_INDICATOR');
    expect(order.at(-1)).toBe('END_OF_TURN');
    expect(order.at(-2)).toBe('INFORM');
    const chunks = events.filter((e) => e.event === 'TEXT_CHUNK');
    expect(chunks.length).toBeGreaterThan(1);
    const offsets = chunks.map((e) => e.json.offset as number);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(offsets.length);
    for (const c of chunks) expect(c.json.message.offset).toBe(c.json.offset);
    const inform = events.at(-2)!.json.message;
    expect(chunkText(events)).toBe(inform.message);
    expect(inform.message).toContain('You said: "Tell me something nice about streams"');
    expect(events[0]!.json.message).toMatchObject({
      type: 'ProgressIndicator',
      indicatorType: 'ACTION',
    });
    const stamps = events.map((e) => e.json.timestamp as number);
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(api.stats.streamsCompleted).toBe(1);
    expect(api.sessions()[0]!.inFlight).toBe(false);
  });

  it('names each message type by its event', async () => {
    const { token, sessionId } = await setup();
    const inquire = await readStream(
      await streamRequest(api, token, sessionId, 'where is my order'),
    );
    checkEnvelopes(inquire.events);
    expect(names(inquire.events)).toEqual(['PROGRESS_INDICATOR', 'INQUIRE', 'END_OF_TURN']);
    const escalate = await readStream(await streamRequest(api, token, sessionId, 'human please'));
    expect(names(escalate.events).slice(-3)).toEqual(['INFORM', 'ESCALATE', 'END_OF_TURN']);
    const confirm = await readStream(await streamRequest(api, token, sessionId, 'cancel 1'));
    expect(names(confirm.events)).toContain('CONFIRM');
    const failure = await readStream(await streamRequest(api, token, sessionId, 'break'));
    expect(names(failure.events)).toContain('FAILURE');
    const unknown = await readStream(await streamRequest(api, token, sessionId, 'lightning'));
    checkEnvelopes(unknown.events, ['LightningChunk']);
    expect(unknown.events[1]).toMatchObject({ event: 'UNKNOWN' });
    expect(unknown.events[1]!.json.message.type).toBe('LightningChunk');
    const ended = await readStream(await streamRequest(api, token, sessionId, 'end the chat'));
    expect(names(ended.events).slice(-3)).toEqual(['INFORM', 'SESSION_ENDED', 'END_OF_TURN']);
    expect(api.sessions()[0]!.status).toBe('ended');
  });

  it('answers errors as plain JSON before any SSE', async () => {
    const { token, sessionId } = await setup();
    const noAccept = await readStream(
      await streamRequest(api, token, sessionId, 'x', { accept: 'application/json' }),
    );
    expect(noAccept.status).toBe(406);
    ErrorBodySchema.parse(noAccept.body);
    const unauth = await readStream(await streamRequest(api, undefined, sessionId, 'x'));
    expect(unauth.status).toBe(401);
    expect(unauth.body.error).toBe('UnauthorizedException');
    const missing = await readStream(await streamRequest(api, token, 'no-such-session', 'x'));
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('NotFoundException');
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
    expect(api.stats.streamsStarted).toBe(0);
  });

  it('locks the session while the stream is open (423)', async () => {
    const { token, sessionId } = await setup({ streamChunkDelayMs: 100 });
    const res = await streamRequest(
      api,
      token,
      sessionId,
      'a somewhat longer question to stream slowly',
    );
    expect(res.status).toBe(200);
    const busy = await streamRequest(api, token, sessionId, 'second');
    expect(busy.status).toBe(423);
    expect(((await busy.json()) as { error: string }).error).toBe('ServerBusyError');
    checkError(await send(api, token, sessionId, 'sync too'), 423, 'ServerBusyError');
    await readStream(res);
    expect((await send(api, token, sessionId, 'now free')).status).toBe(200);
  });

  it('counts a client that disconnects mid-stream and unlocks the session', async () => {
    const { token, sessionId } = await setup({ streamChunkDelayMs: 30 });
    const controller = new AbortController();
    const res = await streamRequest(api, token, sessionId, 'please stream this long answer to me', {
      signal: controller.signal,
    });
    const got = await readStream(res, (e) => {
      if (e.event === 'TEXT_CHUNK') {
        controller.abort();
        return true;
      }
      return false;
    });
    expect(names(got.events)).not.toContain('END_OF_TURN');
    await until(() => api.stats.clientClosedMidStream === 1);
    expect(api.sessions()[0]!.inFlight).toBe(false);
    expect(api.stats.streamsCompleted).toBe(0);
    expect(api.requests.at(-1)!.outcome).toBe('client-closed');
    expect((await send(api, token, sessionId, 'after cancel')).status).toBe(200);
  });

  describe('stream faults', () => {
    it('streamError: an ERROR event with the Error body, then the stream ends', async () => {
      const { token, sessionId } = await setup();
      api.faults.next('stream', { streamError: true, afterEvents: 2 });
      const { events, failed } = await readStream(
        await streamRequest(api, token, sessionId, 'hello there'),
      );
      expect(failed).toBe(false);
      expect(events).toHaveLength(3);
      const err = events[2]!;
      expect(err.event).toBe('ERROR');
      const body = ErrorBodySchema.parse(err.json);
      expect(body).toMatchObject({ status: 500, error: 'HttpServerErrorException' });
      expect(api.faults.injected).toEqual({ streamError: 1 });
      expect(api.sessions()[0]!.inFlight).toBe(false);
      expect(api.sessions()[0]!.turns).toBe(1);
    });

    it('validationFailure: chunks, VALIDATION_FAILURE_CHUNK, replacement chunks, the Inform', async () => {
      const { token, sessionId } = await setup();
      api.faults.next('stream', { validationFailure: true, afterChunks: 2 });
      const { events } = await readStream(
        await streamRequest(api, token, sessionId, 'a question with several words in it'),
      );
      checkEnvelopes(events);
      const i = events.findIndex((e) => e.event === 'VALIDATION_FAILURE_CHUNK');
      expect(i).toBeGreaterThan(0);
      expect(events.slice(0, i).filter((e) => e.event === 'TEXT_CHUNK')).toHaveLength(2);
      const vfc = ValidationFailureChunkMessageSchema.parse(events[i]!.json.message);
      expect(vfc.offset).toBe(3);
      const after = events.slice(i + 1);
      const inform = after.find((e) => e.event === 'INFORM')!.json.message;
      expect(chunkText(after)).toBe(inform.message);
      const offsets = events.filter((e) => e.json.offset > 0).map((e) => e.json.offset as number);
      expect(offsets).toEqual(offsets.map((_, k) => k + 1));
      expect(names(events).at(-1)).toBe('END_OF_TURN');
    });

    it('stall: events stop without the stream closing, until the client gives up', async () => {
      const { token, sessionId } = await setup();
      api.faults.next('stream', { stall: true, afterEvents: 1 });
      const controller = new AbortController();
      const res = await streamRequest(api, token, sessionId, 'stall me', {
        signal: controller.signal,
      });
      const seen: SseEvent[] = [];
      const reading = readStream(res, (e) => void seen.push(e));
      await until(() => seen.length === 1);
      await new Promise((r) => setTimeout(r, 50));
      expect(seen).toHaveLength(1);
      expect(api.sessions()[0]!.inFlight).toBe(true);
      controller.abort();
      const { failed } = await reading;
      expect(failed).toBe(true);
      await until(() => api.sessions()[0]!.inFlight === false);
      expect(api.stats.clientClosedMidStream).toBe(1);
      expect(api.requests.at(-1)!.outcome).toBe('stalled');
    });

    it('stall: closing the server ends the stalled stream', async () => {
      const { token, sessionId } = await setup();
      api.faults.next('stream', { stall: true, afterEvents: 0 });
      const res = await streamRequest(api, token, sessionId, 'stall me');
      const reading = readStream(res);
      await api.close();
      const { events, failed } = await reading;
      expect(events).toHaveLength(0);
      expect(failed).toBe(true);
    });

    it('dropMidStream: the connection is destroyed after some events', async () => {
      const { token, sessionId } = await setup();
      api.faults.next('stream', { dropMidStream: true, afterEvents: 2 });
      const { events, failed } = await readStream(
        await streamRequest(api, token, sessionId, 'drop me'),
      );
      expect(failed).toBe(true);
      expect(events).toHaveLength(2);
      expect(api.stats.dropped).toBe(1);
      expect(api.sessions()[0]!.inFlight).toBe(false);
      expect((await send(api, token, sessionId, 'still there?')).status).toBe(200);
    });

    it('sessionEnded: SESSION_ENDED before END_OF_TURN, and the session is over', async () => {
      const { token, sessionId } = await setup();
      api.faults.next('stream', { sessionEnded: true });
      const { events } = await readStream(await streamRequest(api, token, sessionId, 'hi'));
      expect(names(events).slice(-2)).toEqual(['SESSION_ENDED', 'END_OF_TURN']);
      checkError(await send(api, token, sessionId, 'x'), 404, 'NotFoundException');
    });

    it('malformed: the first event carries data that is not JSON', async () => {
      const { token, sessionId } = await setup();
      api.faults.next('stream', { malformed: true });
      const { events } = await readStream(await streamRequest(api, token, sessionId, 'hi'));
      expect(events[0]!.json).toBeUndefined();
      expect(names(events).at(-1)).toBe('END_OF_TURN');
    });

    it('a status fault on the stream is a JSON error before the stream', async () => {
      const { token, sessionId } = await setup();
      api.faults.next('stream', { status: 503, retryAfter: 2 });
      const r = await readStream(await streamRequest(api, token, sessionId, 'hi'));
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('2');
      expect(r.body.error).toBe('ServiceUnavailable');
    });

    it('stream faults cannot be queued for other routes', () => {
      return setup().then(() => {
        expect(() => api.faults.next('send', { stall: true })).toThrow(TypeError);
      });
    });
  });
});
