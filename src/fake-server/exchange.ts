/** One request/response pair and the helpers routes use to answer it. @internal */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { errorBody, sessionNotFoundBody } from './errors.js';
import type { Fault } from './fault-types.js';
import type { RecordedRequest } from './record.js';
import type { RouteMatch } from './router.js';
import type { Session } from './sessions.js';
import type { EmulatorState } from './state.js';
import type { JsonReply } from './reply.js';

/** Content type of JSON replies. */
export const JSON_TYPE = 'application/json;charset=UTF-8';

/** The request pipeline's view of one request. */
export class Exchange {
  /** The parsed body (JSON value or form fields); `undefined` when there was none or it did not parse. */
  body: unknown = undefined;
  /** Why the body did not parse, if it did not. */
  bodyProblem: 'empty' | 'utf8' | 'json' | undefined = undefined;
  /** The injected fault, if any. */
  fault: Fault | undefined = undefined;
  /** The connection is gone (closed by either side). */
  closed = false;
  /** The server destroyed the connection on purpose. */
  serverDestroyed = false;
  /** The response is an SSE stream. */
  streaming = false;
  #release: (() => void) | undefined;
  #wake: (() => void) | undefined;

  constructor(
    readonly state: EmulatorState,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    readonly pathname: string,
    readonly match: RouteMatch,
    readonly entry: RecordedRequest,
  ) {
    res.once('close', () => this.#onClose());
    // A write racing a closing socket must not become an unhandled 'error' event.
    res.on('error', () => undefined);
  }

  #onClose(): void {
    this.closed = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
    if (!this.res.writableFinished && !this.serverDestroyed) {
      if (this.state.closing) {
        this.entry.outcome = 'server-closed';
      } else {
        this.state.record.clientClosed(this.streaming);
        if (this.entry.outcome !== 'stalled') this.entry.outcome = 'client-closed';
      }
    }
    this.releaseLock();
  }

  /** Holds a session lock until the reply is complete or the connection closes. */
  holdLock(session: Session): void {
    session.inFlight = true;
    this.#release = () => {
      session.inFlight = false;
      session.lastActivityAt = this.state.now();
    };
    if (this.closed) this.releaseLock();
  }

  /** Releases the lock held by {@link holdLock}, once. */
  releaseLock(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  /** Waits `ms` real milliseconds, or less if the connection closes first. */
  pause(ms: number): Promise<void> {
    if (this.closed || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Waits until the connection closes. */
  untilClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  /** Emulator time, ms. */
  now(): number {
    return this.state.now();
  }

  /** A JSON reply. */
  json(status: number, value: unknown, headers?: Readonly<Record<string, string>>): JsonReply {
    return { kind: 'json', status, body: JSON.stringify(value), ...(headers && { headers }) };
  }

  /** A reply whose JSON text is already built. */
  jsonText(status: number, body: string, headers?: Readonly<Record<string, string>>): JsonReply {
    return { kind: 'json', status, body, ...(headers && { headers }) };
  }

  /** An `Error` body reply (default class and message of the status unless given). */
  error(
    status: number,
    error?: string,
    message?: string,
    headers?: Readonly<Record<string, string>>,
  ): JsonReply {
    return this.json(
      status,
      errorBody(status, {
        pathname: this.pathname,
        requestId: this.requestId,
        now: this.now(),
        error,
        message,
      }),
      headers,
    );
  }

  /** A 400 `BadRequestError`. */
  badRequest(message: string): JsonReply {
    return this.error(400, 'BadRequestError', message);
  }

  /** The 404 `NotFoundException` of an unknown, ended or expired session. */
  sessionNotFound(sessionId: string): JsonReply {
    return this.json(
      404,
      sessionNotFoundBody(sessionId, {
        pathname: this.pathname,
        requestId: this.requestId,
        now: this.now(),
      }),
    );
  }

  /**
   * 401 unless the request carries a valid token (when the emulator requires auth). A valid token
   * that is not a JWT gets what the Agent API answers it: 404 with an empty body.
   */
  authorize(): JsonReply | undefined {
    if (!this.state.options.requireAuth) return undefined;
    const check = this.state.tokens.check(this.req.headers.authorization, this.now());
    if (check === 'ok') return undefined;
    if (check === 'opaque') return { kind: 'json', status: 404, body: '' };
    return this.error(401);
  }

  /**
   * Checks that a POST carried a JSON body that parsed: wrong content type → 500
   * "Unsupported Media Type" (as the Agent API answers); empty, invalid UTF-8 or invalid JSON → 400.
   */
  requireJsonBody(): JsonReply | undefined {
    if (this.bodyProblem === undefined && this.body !== undefined) return undefined;
    if (this.bodyProblem === undefined) {
      return this.error(500, 'HttpMediaTypeNotSupportedException', 'Unsupported Media Type');
    }
    switch (this.bodyProblem) {
      case 'empty':
        return this.badRequest('Required request body is missing');
      case 'utf8':
        return this.badRequest('Request body is not valid UTF-8');
      default:
        return this.badRequest('Malformed JSON request body');
    }
  }

  /** Validates the body with a schema: the parsed value, or a 400 naming the first bad field. */
  validate<T>(schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; reply: JsonReply } {
    const result = schema.safeParse(this.body);
    if (result.success) return { ok: true, value: result.data };
    const unknown = unrecognizedField(result.error);
    const message =
      unknown !== undefined ? unrecognizedFieldMessage(unknown) : describeIssues(result.error);
    return { ok: false, reply: this.badRequest(message) };
  }

  /** The open session `id` (touched), or the 404 reply. */
  openSession(id: string): Session | JsonReply {
    const now = this.now();
    const s = this.state.sessions.open(id, now);
    if (s === undefined) return this.sessionNotFound(id);
    if (!s.inFlight) s.lastActivityAt = now;
    return s;
  }

  /** Sends a complete reply and releases the session lock. */
  send(reply: JsonReply): void {
    const { res } = this;
    if (!this.closed) {
      this.entry.status = reply.status;
      this.state.record.replied(this.entry.route, reply.status);
      const headers: Record<string, string | number> = { ...reply.headers };
      if (reply.body !== '') {
        headers['content-type'] = reply.contentType ?? JSON_TYPE;
        headers['content-length'] = Buffer.byteLength(reply.body);
      } else {
        headers['content-length'] = 0;
      }
      res.writeHead(reply.status, headers);
      res.end(reply.body);
      this.entry.outcome = 'answered';
    }
    this.releaseLock();
  }

  /** Destroys the connection on purpose (drop faults), without a reply. */
  drop(): void {
    this.serverDestroyed = true;
    this.entry.outcome = 'dropped';
    this.state.record.droppedConnection();
    this.state.record.replied(this.entry.route, 0);
    this.releaseLock();
    this.req.socket.destroy();
  }
}

/** The 400 message of a body field the API does not know, as its JSON reader words it. */
export function unrecognizedFieldMessage(field: string): string {
  return `Unrecognized field "${field}"`;
}

/** The first field a strict schema did not know, if that is what it rejected. */
function unrecognizedField(error: z.ZodError): string | undefined {
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) return issue.keys[0];
    // A field unknown inside one branch of a union (e.g. the message types) is reported there.
    if (issue.code === 'invalid_union') {
      for (const branch of issue.errors) {
        for (const inner of branch) {
          if (inner.code === 'unrecognized_keys' && inner.keys[0] !== undefined)
            return inner.keys[0];
        }
      }
    }
  }
  return undefined;
}

/** A message naming the fields a schema rejected: `message.sequenceId: expected number, ...`. */
export function describeIssues(error: z.ZodError): string {
  const parts = error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.map(String).join('.');
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  });
  return `Invalid request body: ${parts.join('; ')}`;
}
