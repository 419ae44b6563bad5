import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonBody, readBody } from './body.js';
import { parseFault, parseFaultRoute } from './fault-parse.js';
import type { RandomFaultOptions } from './fault-types.js';
import { CONTROL_PREFIX } from './router.js';
import type { EmulatorState } from './state.js';

/**
 * The control API under `/__emulator/`: lets another process drive an emulator it did not start
 * in-process (faults, clock, expiry, records). Not part of the Agent API; no auth. Replies are
 * JSON; a bad request gets 400 `{"error": "<what is wrong>"}`, an unknown control path 404.
 *
 * | Method + path | Body | Does |
 * |---|---|---|
 * | `GET /__emulator/info` | | `{url, apiUrl, now}` |
 * | `GET /__emulator/agents` | | `{agents}`: `id`, `developerName`, `label`, `type`, `active`, `connected` |
 * | `POST /__emulator/faults` | `{route, fault, times?, sessionId?}` | queue a fault |
 * | `POST /__emulator/faults/random` | `{seed, rates, routes?, retryAfter?, delayMs?, afterEvents?}` | random faults |
 * | `GET /__emulator/faults` | | `{pending, injected, random}` |
 * | `DELETE /__emulator/faults` | | clear queued and random faults |
 * | `GET /__emulator/sessions` | | `{sessions, open}` |
 * | `POST /__emulator/sessions/{id}/expire` | | expire a session now |
 * | `POST /__emulator/sessions/{id}/end` | `{reason?}` | next reply carries SessionEnded |
 * | `GET /__emulator/requests` | | `{requests}` |
 * | `DELETE /__emulator/requests` | | reset the record (log, counters, closed sessions) |
 * | `POST /__emulator/clock/advance` | `{ms}` | move the clock; `{now}` |
 * | `GET /__emulator/clock` | | `{now, offsetMs}` |
 * | `GET /__emulator/stats` | | counters, fault counts, open sessions |
 */

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function reply(res: ServerResponse, status: number, value?: unknown): void {
  if (value === undefined) {
    res.writeHead(status, { 'content-length': 0 });
    res.end();
    return;
  }
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json;charset=UTF-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function jsonBody(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const read = await readBody(req, maxBytes);
  if (read.kind === 'aborted') throw new ControlError(400, 'request aborted');
  if (read.kind === 'too-large') throw new ControlError(413, 'body too large');
  if (read.bytes.length === 0) return {};
  const parsed = parseJsonBody(read.bytes);
  if (!parsed.ok) throw new ControlError(400, 'body must be JSON');
  const v = parsed.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ControlError(400, 'body must be a JSON object');
  }
  return v as Record<string, unknown>;
}

/** Creates the control API handler of an emulator. @internal */
export function createControlHandler(state: EmulatorState) {
  return async (
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
    _query: URLSearchParams,
  ): Promise<void> => {
    try {
      const result = await dispatch(state, req, pathname.slice(CONTROL_PREFIX.length));
      reply(res, result.status, result.value);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof ControlError) reply(res, err.status, { error: err.message });
      else if (err instanceof TypeError) reply(res, 400, { error: err.message });
      else reply(res, 500, { error: err instanceof Error ? err.message : String(err) });
    }
  };
}

interface Result {
  status: number;
  value?: unknown;
}

async function dispatch(state: EmulatorState, req: IncomingMessage, rest: string): Promise<Result> {
  const method = req.method ?? 'GET';
  const max = state.options.maxBodyBytes;
  const key = `${method} ${rest}`;
  switch (key) {
    case 'GET info':
      return {
        status: 200,
        value: { url: state.url, apiUrl: `${state.url}/einstein/ai-agent/v1`, now: state.now() },
      };
    case 'GET agents':
      return {
        status: 200,
        value: { agents: state.agents.list().map((a) => ({ connected: true, ...a })) },
      };
    case 'POST faults': {
      const body = await jsonBody(req, max);
      const route = parseFaultRoute(body.route);
      const fault = parseFault(body.fault);
      const times = body.times;
      const sessionId = body.sessionId;
      if (sessionId !== undefined && typeof sessionId !== 'string') {
        throw new TypeError('sessionId must be a string');
      }
      if (times !== undefined && typeof times !== 'number')
        throw new TypeError('times must be a number');
      state.faults.next(route, fault, {
        ...(times !== undefined && { times }),
        ...(sessionId !== undefined && { sessionId }),
      });
      return { status: 201, value: { pending: state.faults.pending } };
    }
    case 'POST faults/random': {
      const body = await jsonBody(req, max);
      state.faults.random(body as unknown as RandomFaultOptions);
      return { status: 200, value: { random: true } };
    }
    case 'GET faults':
      return {
        status: 200,
        value: {
          pending: state.faults.pending,
          injected: state.faults.injected,
          random: state.faults.randomActive,
        },
      };
    case 'DELETE faults':
      state.faults.clear();
      return { status: 204 };
    case 'GET sessions':
      return {
        status: 200,
        value: {
          sessions: state.sessions.list(state.now()),
          open: state.sessions.openCount(state.now()),
        },
      };
    case 'GET requests':
      return { status: 200, value: { requests: state.record.requests() } };
    case 'DELETE requests':
      state.resetRecord();
      return { status: 204 };
    case 'POST clock/advance': {
      const body = await jsonBody(req, max);
      const now = state.clock.advance(body.ms as number);
      return { status: 200, value: { now, offsetMs: state.clock.offsetMs } };
    }
    case 'GET clock':
      return { status: 200, value: { now: state.now(), offsetMs: state.clock.offsetMs } };
    case 'GET stats':
      return {
        status: 200,
        value: {
          ...state.record.stats(),
          faultsInjected: state.faults.injected,
          openSessions: state.sessions.openCount(state.now()),
        },
      };
  }
  const m = /^sessions\/([^/]+)\/(expire|end)$/.exec(rest);
  if (method === 'POST' && m?.[1] !== undefined) {
    let id: string;
    try {
      id = decodeURIComponent(m[1]);
    } catch {
      throw new ControlError(400, 'bad session id');
    }
    if (m[2] === 'expire') {
      const expired = state.expireSession(id);
      if (!expired) throw new ControlError(404, `no open session ${id}`);
      return { status: 200, value: { expired } };
    }
    const body = await jsonBody(req, max);
    const reason = body.reason;
    if (reason !== undefined && typeof reason !== 'string')
      throw new TypeError('reason must be a string');
    const marked = state.endSessionFromServer(id, reason);
    if (!marked) throw new ControlError(404, `no open session ${id}`);
    return { status: 200, value: { ending: true } };
  }
  throw new ControlError(404, `unknown control route: ${method} ${CONTROL_PREFIX}${rest}`);
}
