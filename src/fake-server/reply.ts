/** What a route of the emulator answers: a complete JSON body, or the events of a stream. */
import type { ResponseMessage } from '../api/index.js';
import type { Session } from './sessions.js';

/** A reply with a complete body. */
export interface JsonReply {
  readonly kind: 'json';
  readonly status: number;
  /** The body text; `''` for no body. */
  readonly body: string;
  /** Content type of a non-empty body; default JSON. */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A streamed turn: the SSE events to send. */
export interface StreamReply {
  readonly kind: 'stream';
  readonly session: Session;
  readonly events: readonly PlannedEvent[];
  readonly originEventId: string;
  readonly traceId: string;
}

/** What a route answers. */
export type Reply = JsonReply | StreamReply;

/** One event to send. */
export interface PlannedEvent {
  /** The SSE `event:` name. */
  readonly event: string;
  /** The message in the envelope. */
  readonly message: ResponseMessage;
  /** The envelope's `offset`: the chunk offset for chunks, 0 otherwise. */
  readonly offset: number;
}
