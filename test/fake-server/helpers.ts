/* eslint-disable @typescript-eslint/no-explicit-any -- reply bodies are read loosely in tests; schemas check them */
import { randomUUID } from 'node:crypto';
import { createParser } from 'eventsource-parser';
import { expect } from 'vitest';
import {
  ErrorBodySchema,
  MessagesResponseSchema,
  StartSessionResponseSchema,
  StreamEventDataSchema,
  StreamEventTypeSchema,
  TOKEN_PATH,
  TokenResponseSchema,
  apiPaths,
  isKnownMessageType,
  responseMessageSchemas,
} from '../../src/api/index.js';
import {
  EMULATOR_SERVICE_AGENT_ID,
  startFakeAgentApi,
  type FakeAgentApi,
  type FakeAgentApiOptions,
} from '../../src/fake-server/index.js';

/** Shared helpers of the emulator tests: a small client and strict reply checks. */

export const AGENT_ID = EMULATOR_SERVICE_AGENT_ID;
/** The My Domain URL the emulators of these tests play (`instanceConfig.endpoint` must name it). */
export const MY_DOMAIN_URL = 'https://example-org.my.salesforce.com';

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function call(
  url: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
): Promise<Reply> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

export async function startApi(options: FakeAgentApiOptions = {}): Promise<FakeAgentApi> {
  return startFakeAgentApi({ streamChunkDelayMs: 0, myDomainUrl: MY_DOMAIN_URL, ...options });
}

export async function getToken(api: FakeAgentApi, id = 'client-id', secret = 'client-secret') {
  const r = await call(api.url + TOKEN_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: id,
      client_secret: secret,
    }).toString(),
  });
  expect(r.status).toBe(200);
  TokenResponseSchema.parse(r.body);
  return r.body.access_token as string;
}

export function jsonHeaders(token: string | undefined, extra: Record<string, string> = {}) {
  return {
    'content-type': 'application/json',
    accept: 'application/json',
    ...(token !== undefined && { authorization: `Bearer ${token}` }),
    ...extra,
  };
}

export function startBody(extra: Record<string, unknown> = {}) {
  return {
    externalSessionKey: randomUUID(),
    instanceConfig: { endpoint: MY_DOMAIN_URL },
    streamingCapabilities: { chunkTypes: ['Text'] },
    bypassUser: true,
    ...extra,
  };
}

export async function startSession(
  api: FakeAgentApi,
  token: string,
  extra: Record<string, unknown> = {},
  agentId = AGENT_ID,
) {
  const r = await call(api.url + apiPaths.startSession(agentId), {
    method: 'POST',
    headers: jsonHeaders(token),
    body: JSON.stringify(startBody(extra)),
  });
  expect(r.status).toBe(200);
  checkStartReply(r.body);
  return { sessionId: r.body.sessionId as string, reply: r };
}

let seq = 0;
/** A fresh, increasing sequence id. */
export function nextSeq(): number {
  return ++seq;
}

export async function send(
  api: FakeAgentApi,
  token: string | undefined,
  sessionId: string,
  text: string,
  message: Record<string, unknown> = {},
  extraBody: Record<string, unknown> = {},
) {
  return call(api.url + apiPaths.messages(sessionId), {
    method: 'POST',
    headers: jsonHeaders(token),
    body: JSON.stringify({
      message: { type: 'Text', sequenceId: nextSeq(), text, ...message },
      variables: [],
      ...extraBody,
    }),
  });
}

export async function endSession(
  api: FakeAgentApi,
  token: string,
  sessionId: string,
  reason: string | null = 'UserRequest',
) {
  return call(api.url + apiPaths.session(sessionId), {
    method: 'DELETE',
    headers: {
      authorization: `Bearer ${token}`,
      ...(reason !== null && { 'x-session-end-reason': reason }),
    },
  });
}

/** Checks every message strictly against its schema; unknown types must be listed in `allowUnknown`. */
export function checkMessages(messages: unknown, allowUnknown: readonly string[] = []) {
  expect(Array.isArray(messages)).toBe(true);
  for (const m of messages as { type: string; id: unknown }[]) {
    expect(typeof m.id).toBe('string');
    if (isKnownMessageType(m.type)) {
      const r = responseMessageSchemas[m.type].safeParse(m);
      expect(r.success, `${m.type}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
    } else {
      expect(allowUnknown).toContain(m.type);
    }
  }
}

export function checkLinks(links: unknown, baseUrl: string, sessionId: string, agentId = AGENT_ID) {
  expect(links).toEqual({
    self: null,
    messages: { href: baseUrl + apiPaths.messages(sessionId) },
    messagesStream: { href: baseUrl + apiPaths.messagesStream(sessionId) },
    session: { href: baseUrl + apiPaths.startSession(agentId) },
    end: { href: baseUrl + apiPaths.session(sessionId) },
  });
}

export function checkStartReply(body: unknown) {
  StartSessionResponseSchema.parse(body);
  checkMessages((body as { messages: unknown }).messages);
}

export function checkMessagesReply(body: unknown, allowUnknown: readonly string[] = []) {
  MessagesResponseSchema.parse(body);
  checkMessages((body as { messages: unknown }).messages, allowUnknown);
}

/** Checks a documented `Error` body and its `X-Request-ID`. */
export function checkError(r: Reply, status: number, error?: string, message?: string | RegExp) {
  expect(r.status).toBe(status);
  const body = ErrorBodySchema.parse(r.body);
  expect(body.status).toBe(status);
  expect(body.mode).toBe('unknown');
  expect(body.expected).toBe(status !== 401 && status < 500);
  expect(body.path.startsWith('v6.0.0/')).toBe(true);
  expect(body.requestId).toBe(r.headers.get('x-request-id'));
  if (error !== undefined) expect(body.error).toBe(error);
  if (typeof message === 'string') expect(body.message).toBe(message);
  else if (message) expect(body.message).toMatch(message);
  return body;
}

export interface SseEvent {
  event: string | undefined;
  id: string | undefined;
  data: string;
  json: any;
}

export interface StreamResult {
  status: number;
  headers: Headers;
  events: SseEvent[];
  /** The body for a non-SSE reply. */
  body: any;
  /** Whether the body ended with an error (connection dropped). */
  failed: boolean;
}

export function streamRequest(
  api: FakeAgentApi,
  token: string | undefined,
  sessionId: string,
  text: string,
  opts: { accept?: string; signal?: AbortSignal; sequenceId?: number } = {},
) {
  return fetch(api.url + apiPaths.messagesStream(sessionId), {
    method: 'POST',
    headers: jsonHeaders(token, { accept: opts.accept ?? 'text/event-stream' }),
    body: JSON.stringify({
      message: { type: 'Text', sequenceId: opts.sequenceId ?? nextSeq(), text },
    }),
    ...(opts.signal && { signal: opts.signal }),
  });
}

/** Reads an SSE reply to the end, or `onEvent` returns true to stop reading (and cancel). */
export async function readStream(
  res: Response,
  onEvent?: (e: SseEvent, all: SseEvent[]) => boolean | void,
): Promise<StreamResult> {
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) {
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      events: [],
      body: text ? JSON.parse(text) : undefined,
      failed: false,
    };
  }
  const events: SseEvent[] = [];
  let stop = false;
  const parser = createParser({
    onEvent(e) {
      let json: unknown;
      try {
        json = JSON.parse(e.data);
      } catch {
        json = undefined;
      }
      const ev = { event: e.event, id: e.id, data: e.data, json };
      events.push(ev);
      if (onEvent?.(ev, events) === true) stop = true;
    },
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let failed = false;
  try {
    while (!stop) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value as Uint8Array, { stream: true }));
    }
    if (stop) await reader.cancel();
  } catch {
    failed = true;
  }
  return { status: res.status, headers: res.headers, events, body: undefined, failed };
}

/** Checks the envelope of every event of a turn (not ERROR events). */
export function checkEnvelopes(events: SseEvent[], allowUnknown: readonly string[] = []) {
  const origin = events[0]?.json?.originEventId;
  expect(origin).toMatch(/^\d+-REQ$/);
  for (const e of events) {
    StreamEventTypeSchema.parse(e.event);
    if (e.event === 'ERROR') continue;
    const data = StreamEventDataSchema.parse(e.json);
    expect(typeof data.timestamp).toBe('number');
    expect(data.timestamp).toBeGreaterThan(1e12); // epoch ms
    expect(data.originEventId).toBe(origin);
    expect(e.id).toBe(origin);
    expect(data.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(typeof data.offset).toBe('number');
    checkMessages([data.message], allowUnknown);
  }
}

/** Polls until `check` is true (real time, small steps). */
export async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
