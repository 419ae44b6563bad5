/**
 * Fuzzing the emulator's request handling over real HTTP: random methods, paths, headers and
 * bodies (valid, random JSON, truncated JSON, bytes that are not UTF-8, too large), then raw
 * bytes that are not HTTP at all. Every reply must be a documented success or error, answered in
 * time; and the emulator must still answer `/status` afterwards.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ErrorBodySchema,
  MessagesResponseSchema,
  OAuthErrorBodySchema,
  StartSessionResponseSchema,
  StatusResponseSchema,
  StreamEventDataSchema,
  TokenResponseSchema,
  EndReasonSchema,
} from '../../src/api/index.js';
import { startFakeAgentApi, type FakeAgentApi } from '../../src/fake-server/index.js';
import { DEFAULT_ERRORS } from '../../src/fake-server/errors.js';

const AGENT = '0XxFUZZ000000001AA';
const MAX_BODY = 4_096;
const TIMEOUT_MS = 5_000;

/** Statuses the emulator documents (its error catalogue) plus its successes. */
const DOCUMENTED = new Set([200, 202, ...Object.keys(DEFAULT_ERRORS).map(Number)]);

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request with a deadline: a reply that does not come in time fails the property. */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    // An explicit length: Node sends a GET's body unframed otherwise, which is not HTTP.
    const framed =
      body === undefined ? headers : { ...headers, 'content-length': String(body.length) };
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: framed, agent: false, timeout: TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`no reply within ${TIMEOUT_MS} ms: ${method} ${path}`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the emulator under random requests', () => {
  let api: FakeAgentApi;
  let token: string;
  const sessions: string[] = [];

  async function newSession(): Promise<string> {
    const r = await send(
      api.port,
      'POST',
      `/einstein/ai-agent/v1/agents/${AGENT}/sessions`,
      { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      Buffer.from(
        JSON.stringify({ externalSessionKey: randomUUID(), instanceConfig: { endpoint: api.url } }),
      ),
    );
    expect(r.status).toBe(200);
    return (JSON.parse(r.body.toString()) as { sessionId: string }).sessionId;
  }

  beforeAll(async () => {
    api = await startFakeAgentApi({
      anyAgentId: true,
      clientId: 'fuzz',
      clientSecret: 'fuzz-secret',
      streamChunkDelayMs: 0,
      maxBodyBytes: MAX_BODY,
      requestTimeoutMs: 3_000,
    });
    const r = await send(
      api.port,
      'POST',
      '/services/oauth2/token',
      { 'content-type': 'application/x-www-form-urlencoded' },
      Buffer.from('grant_type=client_credentials&client_id=fuzz&client_secret=fuzz-secret'),
    );
    token = (JSON.parse(r.body.toString()) as { access_token: string }).access_token;
    for (let i = 0; i < 4; i++) sessions.push(await newSession());
  });
  afterAll(async () => api?.close());

  const segment = fc
    .oneof(
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
      fc.constantFrom('%', '%zz', '%C0%AF', '..', '.', '', '%2F', '%00', '0Xx', AGENT, '🙂'),
    )
    .map((s) => (/^[\x21-\x7e]*$/.test(s) ? s : encodeURIComponent(s)));

  const path = fc
    .oneof(
      fc.constantFrom(
        '/services/oauth2/token',
        '/einstein/ai-agent/v1/status',
        `/einstein/ai-agent/v1/agents/${AGENT}/sessions`,
      ),
      fc
        .tuple(fc.constantFrom('messages', 'messages/stream', 'feedback', ''), fc.nat())
        .map(
          ([tail, i]) =>
            `/einstein/ai-agent/v1/sessions/${sessions[i % sessions.length]}${tail ? `/${tail}` : ''}`,
        ),
      fc
        .tuple(segment, fc.constantFrom('messages', 'messages/stream', ''))
        .map(([id, tail]) => `/einstein/ai-agent/v1/sessions/${id}${tail ? `/${tail}` : ''}`),
      segment.map((id) => `/einstein/ai-agent/v1/agents/${id}/sessions`),
      fc.array(segment, { maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
      fc
        .tuple(fc.array(segment, { maxLength: 3 }), fc.string({ maxLength: 20 }))
        .map(
          ([parts, q]) => `/einstein/ai-agent/v1/${parts.join('/')}?${encodeURIComponent(q)}=1&a=%`,
        ),
    )
    .filter((p) => !p.startsWith('/__emulator'));

  const headerText = fc
    .string({ unit: 'binary-ascii', maxLength: 40 })
    .map((s) => s.replace(/[^\x20-\x7e]/g, ''));

  const headers = fc.record(
    {
      'content-type': fc.oneof(
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'application/x-www-form-urlencoded',
          'text/plain',
          'application/vnd.api+json',
          'multipart/form-data; boundary=x',
        ),
        headerText,
      ),
      accept: fc.oneof(fc.constantFrom('text/event-stream', 'application/json', '*/*'), headerText),
      authorization: fc.oneof(
        fc.constant('VALID'),
        fc.constant('Bearer '),
        fc.constant('Bearer not-a-token'),
        headerText,
      ),
      'x-session-end-reason': fc.oneof(fc.constantFrom(...EndReasonSchema.options), headerText),
    },
    { requiredKeys: [] },
  );

  const validStart = () => ({
    externalSessionKey: randomUUID(),
    instanceConfig: { endpoint: 'https://x.my.salesforce.com' },
  });
  const body = fc.oneof(
    fc.constant(undefined),
    fc.constant(''),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc
      .record({
        message: fc.record(
          {
            type: fc.constantFrom(
              'Text',
              'Reply',
              'Cancel',
              'TransferFailed',
              'TransferSucceeded',
              'Nope',
            ),
            sequenceId: fc.oneof(fc.nat(), fc.double(), fc.string()),
            text: fc.string({ unit: 'grapheme', maxLength: 30 }),
            inReplyToMessageId: fc.string(),
            reply: fc.array(fc.jsonValue()),
            reason: fc.constantFrom('NoAgentAvailable', 'Error', 'x'),
          },
          { requiredKeys: [] },
        ),
        variables: fc.oneof(
          fc.constant(undefined),
          fc.array(fc.record({ name: fc.string(), type: fc.string(), value: fc.jsonValue() })),
        ),
      })
      .map((v) => JSON.stringify(v)),
    fc.constant(null).map(() => JSON.stringify(validStart())),
    fc.constant(null).map(() => JSON.stringify(validStart()).slice(0, 30)),
    fc
      .record({ feedbackId: fc.string(), feedback: fc.constantFrom('GOOD', 'BAD', 'MEH') })
      .map((v) => JSON.stringify(v)),
    fc.constantFrom(
      'grant_type=client_credentials&client_id=fuzz&client_secret=x',
      'a=%zz&&=',
      '{"a":',
    ),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    fc.constant(Buffer.from([0xc3, 0x28, 0x7b, 0x7d])),
    fc.constant(Buffer.alloc(MAX_BODY + 1, 0x20)),
  );

  /** Checks a reply against what the emulator documents for its route. */
  function checkReply(method: string, path: string, r: Raw): void {
    const what = `${r.status} for ${method} ${path}: ${r.body.toString('utf8').slice(0, 200)}`;
    expect(DOCUMENTED, what).toContain(r.status);
    expect(r.headers['x-request-id'], what).toBeTruthy();
    if (method === 'HEAD') return;
    const type = String(r.headers['content-type'] ?? '');
    const text = r.body.toString('utf8');
    if (r.status === 202) {
      expect(text).toBe('');
      return;
    }
    if (type.startsWith('text/event-stream')) {
      expect(r.status).toBe(200);
      for (const block of text.split('\n\n').filter((b) => b.trim() !== '')) {
        const data = /^data: (.*)$/m.exec(block)?.[1];
        const event = /^event: (.*)$/m.exec(block)?.[1];
        expect(data, block).toBeDefined();
        const json = JSON.parse(data ?? '') as unknown;
        if (event === 'ERROR') ErrorBodySchema.parse(json);
        else StreamEventDataSchema.parse(json);
      }
      return;
    }
    expect(type).toMatch(/^application\/json/);
    const json = JSON.parse(text) as unknown;
    const route = path.split('?')[0] ?? '';
    if (r.status === 200) {
      if (route === '/services/oauth2/token') TokenResponseSchema.parse(json);
      else if (route.endsWith('/status')) StatusResponseSchema.parse(json);
      else if (route.includes('/agents/')) StartSessionResponseSchema.parse(json);
      else MessagesResponseSchema.parse(json);
      return;
    }
    if (route === '/services/oauth2/token' && r.status === 400) {
      OAuthErrorBodySchema.parse(json);
      return;
    }
    const error = ErrorBodySchema.parse(json);
    expect(error.status).toBe(r.status);
    expect(error.requestId).toBe(r.headers['x-request-id']);
  }

  it('answers every request with a documented status and body, in time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'GET',
          'POST',
          'POST',
          'POST',
          'PUT',
          'PATCH',
          'DELETE',
          'DELETE',
          'HEAD',
          'OPTIONS',
        ),
        path,
        headers,
        body,
        async (method, p, h, b) => {
          const sent: Record<string, string> = {};
          for (const [k, v] of Object.entries(h)) {
            if (v === undefined) continue;
            sent[k] = v === 'VALID' ? `Bearer ${token}` : v;
          }
          const payload = b === undefined ? undefined : Buffer.isBuffer(b) ? b : Buffer.from(b);
          const r = await send(api.port, method, p, sent, payload);
          checkReply(method, p, r);
        },
      ),
      { numRuns: 400 },
    );
  }, 120_000);

  it('answers near-valid requests (one part broken, or none) as documented, reaching every route', async () => {
    api.resetRecord();
    const templates = fc.constantFrom(
      'start',
      'send',
      'stream',
      'end',
      'feedback',
      'token',
      'status',
    );
    const mutation = fc.oneof(
      { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
      { weight: 1, arbitrary: headers.map((h) => ({ kind: 'headers' as const, h })) },
      { weight: 1, arbitrary: body.map((b) => ({ kind: 'body' as const, b })) },
      { weight: 1, arbitrary: segment.map((s) => ({ kind: 'id' as const, s })) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.jsonValue({ maxDepth: 1 }))
          .map(([k, v]) => ({ kind: 'field' as const, k, v })),
      },
    );
    await fc.assert(
      fc.asyncProperty(
        templates,
        mutation,
        fc.nat(),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
        async (route, m, n, text) => {
          if (sessions.length < 4) sessions.push(await newSession());
          const session = sessions[n % sessions.length] ?? '';
          const id = m.kind === 'id' ? m.s : session;
          const auth = { authorization: `Bearer ${token}` };
          const json = { 'content-type': 'application/json', ...auth };
          let method = 'POST';
          let p = '';
          let h: Record<string, string> = json;
          let b: Record<string, unknown> | string | undefined;
          const message = { type: 'Text', sequenceId: n, text };
          switch (route) {
            case 'start':
              p = `/einstein/ai-agent/v1/agents/${m.kind === 'id' ? m.s : AGENT}/sessions`;
              b = validStart();
              break;
            case 'send':
              p = `/einstein/ai-agent/v1/sessions/${id}/messages`;
              b = { message, variables: [{ name: 'v', type: 'Text', value: text }] };
              break;
            case 'stream':
              p = `/einstein/ai-agent/v1/sessions/${id}/messages/stream`;
              h = { ...json, accept: 'text/event-stream' };
              b = { message };
              break;
            case 'end':
              method = 'DELETE';
              p = `/einstein/ai-agent/v1/sessions/${id}`;
              h = { ...auth, 'x-session-end-reason': 'UserRequest' };
              break;
            case 'feedback':
              p = `/einstein/ai-agent/v1/sessions/${id}/feedback`;
              b = { feedbackId: text, feedback: 'GOOD' };
              break;
            case 'token':
              p = '/services/oauth2/token';
              h = { 'content-type': 'application/x-www-form-urlencoded' };
              b = `grant_type=client_credentials&client_id=fuzz&client_secret=${m.kind === 'id' ? m.s : 'fuzz-secret'}`;
              break;
            case 'status':
              method = 'GET';
              p = '/einstein/ai-agent/v1/status';
              h = auth;
              break;
          }
          if (m.kind === 'headers') {
            h = { ...h };
            for (const [k, v] of Object.entries(m.h))
              if (v !== undefined) h[k] = v === 'VALID' ? `Bearer ${token}` : v;
          }
          if (m.kind === 'field' && typeof b === 'object') b = { ...b, [m.k]: m.v };
          const payload =
            m.kind === 'body'
              ? m.b === undefined
                ? undefined
                : Buffer.from(m.b)
              : b === undefined
                ? undefined
                : Buffer.from(typeof b === 'string' ? b : JSON.stringify(b));
          const r = await send(api.port, method, p, h, payload);
          checkReply(method, p, r);
          if (route === 'end' && r.status === 200) sessions.splice(sessions.indexOf(session), 1);
        },
      ),
      { numRuns: 400 },
    );
    // The runs reached every route's success, not only its refusals.
    const byRoute = api.stats.byRoute;
    for (const route of ['start', 'send', 'stream', 'end', 'token', 'status']) {
      expect(
        byRoute[route]?.['200'],
        `${route}: ${JSON.stringify(byRoute[route])}`,
      ).toBeGreaterThan(0);
    }
    expect(byRoute['feedback']?.['202']).toBeGreaterThan(0);
  }, 120_000);

  it('survives bytes that are not HTTP, and still answers /status', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
          fc
            .string({ maxLength: 200 })
            .map((s) => Buffer.from(`POST /einstein/ai-agent/v1/status HTTP/1.1\r\n${s}`)),
          fc
            .constantFrom(
              'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
              'POST /services/oauth2/token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
              'GET /einstein/ai-agent/v1/status HTTP/9.9\r\n\r\n',
              '\r\n\r\n\r\n',
            )
            .map((s) => Buffer.from(s)),
        ),
        async (bytes) => {
          await new Promise<void>((resolve, reject) => {
            const socket = createConnection({ host: '127.0.0.1', port: api.port });
            const timer = setTimeout(() => {
              socket.destroy();
              reject(
                new Error(
                  `the connection was neither answered nor closed: ${JSON.stringify(bytes.toString('latin1'))}`,
                ),
              );
            }, TIMEOUT_MS);
            socket.on('error', () => undefined);
            socket.on('close', () => {
              clearTimeout(timer);
              resolve();
            });
            socket.resume();
            socket.end(bytes);
          });
        },
      ),
      { numRuns: 150 },
    );
    const status = await send(
      api.port,
      'GET',
      '/einstein/ai-agent/v1/status',
      { authorization: `Bearer ${token}` },
      undefined,
    );
    expect(status.status).toBe(200);
    expect(JSON.parse(status.body.toString())).toEqual({ status: 'UP' });
    // The emulator still works end to end: a new session starts and answers.
    const id = await newSession();
    const reply = await send(
      api.port,
      'POST',
      `/einstein/ai-agent/v1/sessions/${id}/messages`,
      { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      Buffer.from(
        JSON.stringify({ message: { type: 'Text', sequenceId: 1, text: 'still there?' } }),
      ),
    );
    expect(reply.status).toBe(200);
    MessagesResponseSchema.parse(JSON.parse(reply.body.toString()));
  }, 120_000);
});
