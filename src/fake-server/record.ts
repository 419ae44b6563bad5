/** What the emulator remembers about the traffic it saw: the request log and counters. */

/** The route a request was matched to. */
export type RecordedRoute =
  'token' | 'start' | 'send' | 'stream' | 'end' | 'feedback' | 'status' | 'query' | 'unknown';

/** How a recorded request ended. */
export type RequestOutcome =
  'pending' | 'answered' | 'streamed' | 'client-closed' | 'dropped' | 'stalled' | 'server-closed';

/** One request as the emulator received it. Secrets are redacted. */
export interface RecordedRequest {
  /** The `X-Request-ID` the emulator answered with. */
  readonly requestId: string;
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  /** Query parameters (secrets redacted). */
  readonly query: Readonly<Record<string, string>>;
  readonly route: RecordedRoute;
  /** The session id from the path, for session routes. */
  readonly sessionId: string | undefined;
  /** The agent id from the path, for start-session. */
  readonly agentId: string | undefined;
  /**
   * Request headers, lower-case. `authorization` becomes `Bearer [REDACTED]` (or `[REDACTED]`);
   * any header whose name holds `secret`, `cookie` or `password` becomes `[REDACTED]`.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed body (JSON, or the form fields of a token request with `client_secret` redacted). */
  body: unknown;
  /** Status answered; 0 while pending or when the connection was dropped without a reply. */
  status: number;
  /** Name of the fault injected into this request, if any. */
  fault: string | undefined;
  outcome: RequestOutcome;
  /** Emulator time the request arrived, ms. */
  readonly time: number;
}

/** Counters of the emulator's traffic. */
export interface FakeAgentApiStats {
  /** Requests received on Agent API and token routes (the control API is not counted). */
  readonly requests: number;
  /** Replies by route, then by status (`"0"` counts connections dropped on purpose). */
  readonly byRoute: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Connections the client closed before the reply was complete (not streams). */
  readonly clientClosedMidRequest: number;
  /** Streams the client closed before the end of the turn. */
  readonly clientClosedMidStream: number;
  /** Streams that started (200 with `text/event-stream`). */
  readonly streamsStarted: number;
  /** Streams that reached `END_OF_TURN` (or the end of an injected error) and were closed by the server. */
  readonly streamsCompleted: number;
  /** Connections destroyed on purpose by a drop fault. */
  readonly dropped: number;
}

const REDACTED = '[REDACTED]';
const SECRET_HEADER = /secret|cookie|password|api-key|apikey/i;

/** Copies request headers with credentials redacted. */
export function redactHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (name === 'authorization') {
      out[name] = /^bearer\s/i.test(text) ? `Bearer ${REDACTED}` : REDACTED;
    } else if (SECRET_HEADER.test(name)) {
      out[name] = REDACTED;
    } else {
      out[name] = text;
    }
  }
  return out;
}

/** Copies a form or query record with `client_secret` (and any field named like a secret) redacted. */
export function redactFields(fields: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in fields) {
    out[key] = /secret|password/i.test(key) ? REDACTED : (fields[key] ?? '');
  }
  return out;
}

/** The request log (a bounded ring) and the counters. */
export class TrafficRecord {
  #log: RecordedRequest[] = [];
  #requests = 0;
  #byRoute = new Map<string, Map<number, number>>();
  #clientClosedMidRequest = 0;
  #clientClosedMidStream = 0;
  #streamsStarted = 0;
  #streamsCompleted = 0;
  #dropped = 0;

  /** @param limit - the most requests kept in the log (the oldest are dropped). */
  constructor(private readonly limit: number) {}

  /** Adds a request to the log. */
  add(entry: RecordedRequest): void {
    this.#requests++;
    if (this.limit === 0) return;
    this.#log.push(entry);
    if (this.#log.length > this.limit * 2) this.#log = this.#log.slice(-this.limit);
  }

  /** Counts a reply. */
  replied(route: string, status: number): void {
    let m = this.#byRoute.get(route);
    if (m === undefined) {
      m = new Map();
      this.#byRoute.set(route, m);
    }
    m.set(status, (m.get(status) ?? 0) + 1);
  }

  /** Counts a client that closed its connection before the reply was complete. */
  clientClosed(midStream: boolean): void {
    if (midStream) this.#clientClosedMidStream++;
    else this.#clientClosedMidRequest++;
  }

  /** Counts a stream start. */
  streamStarted(): void {
    this.#streamsStarted++;
  }

  /** Counts a stream the server finished. */
  streamCompleted(): void {
    this.#streamsCompleted++;
  }

  /** Counts a connection destroyed by a drop fault. */
  droppedConnection(): void {
    this.#dropped++;
  }

  /** The log, oldest first (a copy). */
  requests(): RecordedRequest[] {
    return this.#log.length > this.limit ? this.#log.slice(-this.limit) : [...this.#log];
  }

  /** The counters (a snapshot). */
  stats(): FakeAgentApiStats {
    const byRoute: Record<string, Record<string, number>> = {};
    for (const [route, m] of this.#byRoute) byRoute[route] = Object.fromEntries(m);
    return {
      requests: this.#requests,
      byRoute,
      clientClosedMidRequest: this.#clientClosedMidRequest,
      clientClosedMidStream: this.#clientClosedMidStream,
      streamsStarted: this.#streamsStarted,
      streamsCompleted: this.#streamsCompleted,
      dropped: this.#dropped,
    };
  }

  /** Empties the log and zeroes the counters. */
  reset(): void {
    this.#log = [];
    this.#requests = 0;
    this.#byRoute.clear();
    this.#clientClosedMidRequest = 0;
    this.#clientClosedMidStream = 0;
    this.#streamsStarted = 0;
    this.#streamsCompleted = 0;
    this.#dropped = 0;
  }
}
