/** Lenient parsing of Agent API replies: unknown fields and message types are kept. */
import type { AxiosResponse } from 'axios';
import { parseResponseMessage, type ResponseMessage } from '../api/index.js';
import { MalformedResponseError } from '../errors.js';

function malformed(res: AxiosResponse<unknown>, what: string, why: string): MalformedResponseError {
  const requestId: unknown = res.headers['x-request-id'];
  return new MalformedResponseError(`${what}: the server's reply ${why}`, {
    status: res.status,
    requestId: typeof requestId === 'string' ? requestId : undefined,
    body: typeof res.data === 'string' ? res.data.slice(0, 500) : res.data,
  });
}

function messagesOf(res: AxiosResponse<unknown>, what: string): ResponseMessage[] {
  const raw = (res.data as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(raw)) throw malformed(res, what, 'has no messages array');
  const out: ResponseMessage[] = [];
  for (const item of raw) {
    const message = parseResponseMessage(item);
    if (!message) throw malformed(res, what, 'holds a message without a type');
    out.push(message);
  }
  return out;
}

function isObject(data: unknown): data is Record<string, unknown> {
  return typeof data === 'object' && data !== null && !Array.isArray(data);
}

/** `{ sessionId, messages }` of a start-session reply. */
export function parseStartReply(
  res: AxiosResponse<unknown>,
  what: string,
): { sessionId: string; messages: ResponseMessage[] } {
  if (!isObject(res.data)) throw malformed(res, what, 'is not a JSON object');
  const sessionId = res.data['sessionId'];
  if (typeof sessionId !== 'string' || sessionId === '')
    throw malformed(res, what, 'has no sessionId');
  return { sessionId, messages: messagesOf(res, what) };
}

/** `messages` of a send or end reply. An empty 2xx body counts as no messages for an end. */
export function parseMessagesReply(
  res: AxiosResponse<unknown>,
  what: string,
  options: { allowEmpty?: boolean } = {},
): ResponseMessage[] {
  if (options.allowEmpty && (res.data === '' || res.data === undefined || res.data === null))
    return [];
  if (!isObject(res.data)) throw malformed(res, what, 'is not a JSON object');
  return messagesOf(res, what);
}
