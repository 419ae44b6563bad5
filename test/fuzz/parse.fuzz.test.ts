/**
 * Fuzzing reply parsing: every message type generated from the schemas, unknown types and
 * fields, random JSON and truncated JSON, in memory and over real HTTP through the client's own
 * transport. Whatever comes in, the parsers hand back messages or throw a typed error.
 */
import type { AxiosResponse } from 'axios';
import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseResponseMessage,
  responseMessageSchemas,
  type KnownMessageType,
} from '../../src/api/index.js';
import { TokenManager, toAuthProvider } from '../../src/auth.js';
import { AgentforceError, MalformedResponseError } from '../../src/errors.js';
import { parseMessagesReply, parseStartReply } from '../../src/http/parse.js';
import { apiRequest, type ApiContext } from '../../src/http/request.js';
import { DEFAULT_RETRY } from '../../src/http/retry.js';
import { createTransport, destroyTransport } from '../../src/http/transport.js';
import { isKnownCode } from '../../scripts/soak/ledger.js';
import { anyKnownMessage, knownMessages, truncated, unknownMessage } from './arbitraries.js';

const RUNS = { numRuns: 300 };

function response(data: unknown, status = 200): AxiosResponse<unknown> {
  return { data, status, statusText: '', headers: {}, config: {} as never };
}

/** Runs `f`; anything thrown must be a MalformedResponseError. */
function parsedOrMalformed<T>(f: () => T): T | MalformedResponseError {
  try {
    return f();
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedResponseError);
    expect((err as MalformedResponseError).code).toBe('malformed_response');
    return err as MalformedResponseError;
  }
}

/** What axios (`silentJSONParsing`) hands over for a body text: parsed JSON, else the text. */
function asAxiosWould(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

describe('parseResponseMessage', () => {
  for (const [type, arb] of Object.entries(knownMessages)) {
    it(`keeps every valid ${type}, unknown fields included`, () => {
      fc.assert(
        fc.property(arb, (raw) => {
          expect(responseMessageSchemas[type as KnownMessageType].safeParse(raw).success).toBe(
            true,
          );
          const parsed = parseResponseMessage(raw);
          expect(parsed).toEqual(raw);
          expect(parsed?.type).toBe(type);
        }),
        RUNS,
      );
    });
  }

  it('hands back an unknown type as it came', () => {
    fc.assert(
      fc.property(unknownMessage, (raw) => {
        expect(parseResponseMessage(raw)).toEqual(raw);
      }),
      RUNS,
    );
  });

  it('keeps a known type with fields of the wrong type as an unknown message, never throws', () => {
    fc.assert(
      fc.property(
        anyKnownMessage,
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.jsonValue({ maxDepth: 2 }),
        (raw, key, value) => {
          const broken = { ...raw, [key === 'type' ? 'id' : key]: value };
          const parsed = parseResponseMessage(broken);
          expect(parsed).toBeDefined();
          expect(parsed?.type).toBe(raw.type);
        },
      ),
      RUNS,
    );
  });

  it('returns undefined for anything that is not an object with a string type', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const parsed = parseResponseMessage(value);
        const isMessage =
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          typeof (value as { type?: unknown }).type === 'string';
        if (isMessage) expect(parsed?.type).toBe((value as { type: string }).type);
        else expect(parsed).toBeUndefined();
      }),
      RUNS,
    );
  });
});

const messagesArb = fc.array(fc.oneof(anyKnownMessage, unknownMessage), { maxLength: 5 });
const startReply = fc.record({ sessionId: fc.uuid(), messages: messagesArb });
const messagesReply = fc.record({ messages: messagesArb });

describe('parseStartReply and parseMessagesReply', () => {
  it('return the messages of every valid reply, in order', () => {
    fc.assert(
      fc.property(startReply, messagesReply, (start, reply) => {
        expect(parseStartReply(response(start), 'start')).toEqual(start);
        expect(parseMessagesReply(response(reply), 'send')).toEqual(reply.messages);
      }),
      RUNS,
    );
  });

  it('throw only MalformedResponseError on random values', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true }), fc.boolean(), (data, allowEmpty) => {
        parsedOrMalformed(() => parseStartReply(response(data), 'start'));
        parsedOrMalformed(() => parseMessagesReply(response(data), 'send', { allowEmpty }));
      }),
      RUNS,
    );
  });

  it('refuse every truncated reply with a MalformedResponseError', () => {
    fc.assert(
      fc.property(
        messagesReply.chain((reply) => truncated(JSON.stringify(reply))),
        startReply.chain((reply) => truncated(JSON.stringify(reply))),
        (cutReply, cutStart) => {
          const a = parsedOrMalformed(() =>
            parseMessagesReply(response(asAxiosWould(cutReply)), 'send'),
          );
          const b = parsedOrMalformed(() =>
            parseStartReply(response(asAxiosWould(cutStart)), 'start'),
          );
          expect(a).toBeInstanceOf(MalformedResponseError);
          expect(b).toBeInstanceOf(MalformedResponseError);
        },
      ),
      RUNS,
    );
  });

  it('keep the server’s request id and a bounded body on the error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2_000 }), fc.uuid(), (text, requestId) => {
        const res = { ...response(text), headers: { 'x-request-id': requestId } };
        const err = parsedOrMalformed(() => parseMessagesReply(res, 'send'));
        expect(err).toBeInstanceOf(MalformedResponseError);
        expect((err as MalformedResponseError).requestId).toBe(requestId);
        expect(String((err as MalformedResponseError).body).length).toBeLessThanOrEqual(500);
      }),
      RUNS,
    );
  });
});

describe('replies over real HTTP, through the client’s transport and error mapping', () => {
  let server: Server;
  let next: { status: number; contentType: string; body: Buffer } = {
    status: 200,
    contentType: 'application/json',
    body: Buffer.from('{}'),
  };
  let ctx: ApiContext;

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(next.status, {
          'content-type': next.contentType,
          'content-length': next.body.length,
        });
        res.end(next.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const http = createTransport({ timeoutMs: 5_000, maxSockets: 8 });
    const retry = { ...DEFAULT_RETRY, maxRetries: 0 };
    ctx = {
      http,
      tokens: new TokenManager(
        // A JWT-shaped token: the client refuses any other kind before the first call.
        toAuthProvider('eyJhbGciOiJub25lIn0.eyJzdWIiOiJmdXp6In0.sig'),
        { myDomainUrl: url, http, retry },
        Date.now,
      ),
      retry,
      headers: { 'content-type': 'application/json' },
      apiBaseUrl: () => url,
    };
  });
  afterAll(async () => {
    destroyTransport(ctx.http);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const bodies = fc.oneof(
    messagesReply.map((r) => Buffer.from(JSON.stringify(r))),
    messagesReply.chain((r) => truncated(JSON.stringify(r))).map((t) => Buffer.from(t)),
    fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.string({ unit: 'grapheme', maxLength: 100 }).map((s) => Buffer.from(s)),
  );

  it('every reply becomes messages or an AgentforceError with a documented code', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(200), fc.integer({ min: 200, max: 599 })),
        fc.constantFrom(
          'application/json',
          'application/json;charset=UTF-8',
          'text/html',
          'text/plain',
        ),
        bodies,
        async (status, contentType, body) => {
          next = { status, contentType, body };
          let messages: unknown;
          try {
            const res = await apiRequest(ctx, {
              method: 'POST',
              path: '/einstein/ai-agent/v1/sessions/s1/messages',
              what: 'send message',
              body: { message: { type: 'Text', sequenceId: 1, text: 'hi' } },
              repeatability: 'unsafe',
            });
            messages = parseMessagesReply(res, 'send message');
          } catch (err) {
            expect(err).toBeInstanceOf(AgentforceError);
            expect(isKnownCode((err as AgentforceError).code)).toBe(true);
            if (status >= 300) expect((err as AgentforceError).status).toBe(status);
            else expect((err as AgentforceError).code).toBe('malformed_response');
            return;
          }
          expect(status).toBeGreaterThanOrEqual(200);
          expect(status).toBeLessThan(300);
          expect(Array.isArray(messages)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});
