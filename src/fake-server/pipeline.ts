import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonType, mediaType, parseFormBody, parseJsonBody, readBody } from './body.js';
import { defaultOAuthError } from './errors.js';
import { Exchange } from './exchange.js';
import type { JsonReply, Reply } from './reply.js';
import { faultName } from './fault-names.js';
import type { Fault, StatusFault } from './fault-types.js';
import { newRequestId } from './ids.js';
import { redactFields, redactHeaders, type RecordedRequest } from './record.js';
import { CONTROL_PREFIX, matchRoute } from './router.js';
import { endRoute } from './routes/end.js';
import { feedbackRoute } from './routes/feedback.js';
import { sendRoute, streamRoute } from './routes/messages.js';
import { queryRoute } from './routes/query.js';
import { startRoute } from './routes/start.js';
import { statusRoute } from './routes/status.js';
import { tokenRoute } from './routes/token.js';
import { runStream } from './sse.js';
import type { EmulatorState } from './state.js';

/**
 * The request pipeline: record, fault, body, route, latency, reply. Every request goes through
 * {@link handleRequest}; nothing in it may throw out or leave a request hanging.
 */

/** Handles the control API; set by the server. */
export type ControlHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  query: URLSearchParams,
) => Promise<void>;

const EMPTY_QUERY: Readonly<Record<string, string>> = Object.freeze({});

function statusFaultReply(exchange: Exchange, fault: StatusFault): JsonReply {
  const headers: Record<string, string> =
    fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
  if (fault.body !== undefined) {
    const body = typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body);
    return exchange.jsonText(fault.status, body, headers);
  }
  if (exchange.match.route === 'token') {
    const def = defaultOAuthError(fault.status);
    return exchange.json(
      fault.status,
      {
        error: fault.error ?? def.error,
        error_description: fault.message ?? def.error_description,
      },
      headers,
    );
  }
  return exchange.error(fault.status, fault.error, fault.message, headers);
}

function malformedReply(exchange: Exchange, kind: true | 'json' | 'shape'): JsonReply {
  return kind === 'shape'
    ? exchange.jsonText(200, '{"unexpected":"emulator malformed reply"}')
    : exchange.jsonText(200, '{"messages":[{"type":"Inform","id":');
}

async function route(exchange: Exchange, query: Readonly<Record<string, string>>): Promise<Reply> {
  const m = exchange.match;
  switch (m.route) {
    case 'token':
      return tokenRoute(exchange, query);
    case 'start':
      return startRoute(exchange, m.agentId!);
    case 'send':
      return sendRoute(exchange, m.sessionId!);
    case 'stream':
      return streamRoute(exchange, m.sessionId!);
    case 'end':
      return endRoute(exchange, m.sessionId!);
    case 'feedback':
      return feedbackRoute(exchange, m.sessionId!);
    case 'status':
      return statusRoute(exchange);
    case 'query':
      return queryRoute(exchange, query);
    default:
      if (m.allow !== undefined) {
        return exchange.error(
          405,
          'MethodNotAllowedError',
          `Method ${exchange.req.method ?? ''} not allowed`,
          {
            allow: m.allow,
          },
        );
      }
      return exchange.error(404, 'NotFoundError', 'Resource not found');
  }
}

/** Handles one request. Never rejects. */
export async function handleRequest(
  state: EmulatorState,
  control: ControlHandler,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const requestId = newRequestId();
  res.setHeader('x-request-id', requestId);
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const pathname = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const search = q < 0 ? undefined : new URLSearchParams(rawUrl.slice(q + 1));
  if (pathname.startsWith(CONTROL_PREFIX)) {
    await control(req, res, pathname, search ?? new URLSearchParams());
    return;
  }
  const method = req.method ?? 'GET';
  const match = matchRoute(method, pathname);
  const query = search === undefined ? EMPTY_QUERY : Object.fromEntries(search);
  const entry: RecordedRequest = {
    requestId,
    method,
    path: pathname,
    query: search === undefined ? EMPTY_QUERY : redactFields(query),
    route: match.route,
    sessionId: match.sessionId,
    agentId: match.agentId,
    headers: redactHeaders(req.headers),
    body: undefined,
    status: 0,
    fault: undefined,
    outcome: 'pending',
    time: state.now(),
  };
  state.record.add(entry);
  const exchange = new Exchange(state, req, res, requestId, pathname, match, entry);
  try {
    await pipeline(exchange, query);
  } catch (err) {
    // A bug in the emulator: answer 500 if still possible, never crash the process.
    if (!res.headersSent && !exchange.closed) {
      const text = err instanceof Error ? err.message : String(err);
      exchange.send(exchange.error(500, 'HttpServerErrorException', `Emulator error: ${text}`));
    } else {
      exchange.releaseLock();
      res.destroy();
    }
  }
}

async function pipeline(
  exchange: Exchange,
  query: Readonly<Record<string, string>>,
): Promise<void> {
  const { state, req, entry, match } = exchange;
  let fault: Fault | undefined;
  if (match.route !== 'unknown' && !state.closing) {
    fault = state.faults.take(match.route, match.sessionId);
    if (fault !== undefined) {
      exchange.fault = fault;
      entry.fault = faultName(fault);
    }
  }
  if (fault !== undefined && 'drop' in fault && fault.drop === 'before') {
    exchange.drop();
    return;
  }

  const read = await readBody(req, state.options.maxBodyBytes);
  if (read.kind === 'aborted' || exchange.closed) return;
  if (read.kind === 'too-large') {
    const headers: Record<string, string> = read.drained ? {} : { connection: 'close' };
    exchange.send(
      exchange.error(
        413,
        'PayloadTooLargeError',
        `Request body exceeds ${state.options.maxBodyBytes} bytes`,
        headers,
      ),
    );
    return;
  }
  const contentType = req.headers['content-type'];
  if (match.route === 'token') {
    if (mediaType(contentType) === 'application/x-www-form-urlencoded') {
      const form = parseFormBody(read.bytes);
      exchange.body = form;
      if (form !== undefined) entry.body = redactFields(form);
    }
  } else if (isJsonType(contentType)) {
    const parsed = parseJsonBody(read.bytes);
    if (parsed.ok) {
      exchange.body = parsed.value;
      entry.body = parsed.value;
    } else {
      exchange.bodyProblem = parsed.problem;
    }
  }

  let reply: Reply;
  if (fault !== undefined && 'status' in fault && !('streamError' in fault)) {
    reply = statusFaultReply(exchange, fault);
  } else if (fault !== undefined && 'sessionNotFound' in fault && match.sessionId !== undefined) {
    state.sessions.expire(match.sessionId, state.now());
    reply = exchange.sessionNotFound(match.sessionId);
  } else {
    try {
      reply = await route(exchange, query);
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      reply = exchange.error(500, 'HttpServerErrorException', `Emulator error: ${text}`);
    }
  }

  if (fault !== undefined && 'drop' in fault) {
    exchange.drop();
    return;
  }
  const wait =
    (match.api ? state.options.latencyMs : 0) +
    (fault !== undefined && 'delayMs' in fault ? fault.delayMs : 0);
  if (wait > 0) await exchange.pause(wait);
  if (exchange.closed) {
    exchange.releaseLock();
    return;
  }
  if (reply.kind === 'stream') {
    await runStream(exchange, reply);
    return;
  }
  if (fault !== undefined && 'malformed' in fault)
    reply = malformedReply(exchange, fault.malformed);
  exchange.send(reply);
}
