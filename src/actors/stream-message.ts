/**
 * The streaming send: `POST /sessions/{id}/messages/stream`, read as Server-Sent Events with
 * eventsource-parser, turned into `STREAM.*` events for the session machine: one `STREAM.EVENT` per
 * network read, with the events that read brought.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Readable } from 'node:stream';
import { fromCallback } from 'xstate';
import type {
  SendMessageOutput,
  SessionEvent,
  StreamEvent,
  StreamMessageInput,
} from '../../machines/session.types.js';
import { apiPaths, parseResponseMessage, type ResponseMessage } from '../api/index.js';
import type { AgentforceError } from '../errors.js';
import { ConnectionError, MalformedResponseError, TimeoutError } from '../errors.js';
import { errorFromResponse, errorFromTransport } from '../http/errors.js';
import { apiRequest, type ApiContext } from '../http/request.js';
import { messageBody } from './message-body.js';

export interface StreamOptions {
  /** No byte for this long ends the turn with a `stream_idle_timeout` error. @default 60000 */
  idleTimeoutMs: number;
}

/** Turns one SSE event into the caller's event, or an error for `ERROR` events. */
export function toStreamEvent(frame: EventSourceMessage): {
  event?: StreamEvent;
  message?: ResponseMessage;
  error?: AgentforceError;
} {
  let data: unknown;
  try {
    data = JSON.parse(frame.data);
  } catch {
    return {
      error: new MalformedResponseError(
        `stream: event ${frame.event ?? '?'} has data that is not JSON`,
      ),
    };
  }
  // `data: null` parses to null: read it as an empty envelope, not a crash.
  const envelope = (typeof data === 'object' && data !== null ? data : {}) as {
    message?: unknown;
    messages?: unknown;
    status?: unknown;
  };
  if (frame.event === 'ERROR') {
    const status = typeof envelope.status === 'number' ? envelope.status : 500;
    return { error: errorFromResponse(status, {}, data, 'stream message') };
  }
  // The documented envelope carries `message`; one doc sample sends a sync-style `{ messages }`.
  const raw: unknown =
    envelope.message ?? (Array.isArray(envelope.messages) ? envelope.messages[0] : undefined);
  // Most events of a reply are text chunks: read their two fields here. The schema check would
  // give the same delta (a chunk that fails it is kept as it came) at a zod parse per event.
  const chunk = raw as { type?: unknown; message?: unknown; offset?: unknown } | null | undefined;
  if (chunk?.type === 'TextChunk') return { event: deltaOf(chunk) };
  const message = parseResponseMessage(raw);
  if (!message) {
    return {
      error: new MalformedResponseError(`stream: event ${frame.event ?? '?'} has no message`),
    };
  }
  switch (message.type) {
    case 'ProgressIndicator':
      return { event: { kind: 'progress', message } };
    case 'ValidationFailureChunk':
      return {
        event: {
          kind: 'validation-failure',
          reason: typeof message['reason'] === 'string' ? message['reason'] : undefined,
          offset: typeof message['offset'] === 'number' ? message['offset'] : 0,
        },
      };
    case 'EndOfTurn':
      return { event: { kind: 'end-of-turn' } };
    default:
      return { event: { kind: 'message', message }, message };
  }
}

/** A `TextChunk` as the caller's delta. */
function deltaOf(chunk: { message?: unknown; offset?: unknown }): StreamEvent {
  return {
    kind: 'delta',
    text: typeof chunk.message === 'string' ? chunk.message : '',
    offset: typeof chunk.offset === 'number' ? chunk.offset : 0,
  };
}

/** Reads what is left of a response to its end, or destroys it after `ms`. */
function responseEnd(body: Readable, ms: number): Promise<void> {
  if (body.readableEnded || body.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(cap);
      resolve();
    };
    const cap = setTimeout(() => {
      body.destroy();
      done();
    }, ms);
    body.once('end', done);
    body.once('close', done);
    body.resume();
  });
}

/** The machine's `streamMessage` actor for one client. */
export function createStreamActor(ctx: ApiContext, options: StreamOptions) {
  return fromCallback<SessionEvent, StreamMessageInput>(({ input, sendBack }) => {
    const controller = new AbortController();
    const { sessionId, sequenceId } = input;
    let idleTimer: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = (result: { output: SendMessageOutput } | { error: AgentforceError }) => {
      if (finished) return;
      finished = true;
      clearTimeout(idleTimer);
      if ('output' in result) sendBack({ type: 'STREAM.DONE', output: result.output });
      else sendBack({ type: 'STREAM.FAILED', sessionId, sequenceId, error: result.error.toJSON() });
    };

    const run = async () => {
      const res = await apiRequest(ctx, {
        method: 'POST',
        path: apiPaths.messagesStream(sessionId),
        what: 'stream message',
        body: messageBody(input),
        headers: { accept: 'text/event-stream' },
        signal: controller.signal,
        repeatability: 'unsafe',
        responseType: 'stream',
      });
      const body = res.data as Readable;
      const contentType = String(res.headers['content-type'] ?? '');
      if (!contentType.includes('text/event-stream')) {
        body.destroy();
        throw new MalformedResponseError(
          `stream message: the server answered ${res.status} with ${contentType || 'no content type'}, not text/event-stream`,
          { status: res.status },
        );
      }
      const messages: ResponseMessage[] = [];
      let ended = false;
      let failure: AgentforceError | undefined;
      // The events of one network read go to the machine as one STREAM.EVENT (each machine event
      // is a macrostep; the caller still gets a `turn.stream` per event, in order).
      let read: StreamEvent[] = [];
      const parser = createParser({
        onEvent: (frame) => {
          if (ended || failure) return;
          ctx.onStreamFrame?.(frame.data);
          const { event, message: complete, error } = toStreamEvent(frame);
          if (error) {
            failure = error;
            return;
          }
          if (complete) messages.push(complete);
          if (event) read.push(event);
          if (event?.kind === 'end-of-turn') ended = true;
        },
      });
      const armIdle = () => {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => {
          failure ??= new TimeoutError(`stream message: no data for ${options.idleTimeoutMs} ms`, {
            code: 'stream_idle_timeout',
          });
          body.destroy();
        }, options.idleTimeoutMs);
      };
      armIdle();
      const decoder = new TextDecoder();
      try {
        // Leaving the loop at END_OF_TURN must not destroy the response: the rest of it is read
        // below, so its keep-alive connection goes back to the pool.
        for await (const chunk of body.iterator({ destroyOnReturn: false })) {
          armIdle();
          parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
          if (read.length > 0 && !finished) {
            const events = read;
            read = [];
            sendBack({ type: 'STREAM.EVENT', sessionId, sequenceId, events });
          }
          if (ended || failure) break;
        }
      } catch (err) {
        failure ??= errorFromTransport(err, 'stream message', controller.signal);
      } finally {
        clearTimeout(idleTimer);
        if (!ended || failure) body.destroy();
      }
      // The server closes the response right after END_OF_TURN. Until it has, the request is
      // still in flight (a next message would be refused with 423) and its connection is not
      // free: the turn ends with the response, read to its end, but never waits long for it.
      if (ended && !failure) await responseEnd(body, 1_000);
      if (failure) throw failure;
      if (!ended) {
        // The server closed the stream before END_OF_TURN: the turn may have been processed.
        if (messages.length === 0) {
          throw new ConnectionError(
            'stream message: the stream ended before the end of the turn',
            true,
          );
        }
      }
      finish({ output: { sessionId, sequenceId, messages } });
    };

    run().catch((err: unknown) => {
      if (controller.signal.aborted && !finished) return; // the machine left the state: stay silent
      finish({ error: errorFromTransport(err, 'stream message', controller.signal) });
    });
    return () => {
      finished = true;
      clearTimeout(idleTimer);
      controller.abort();
    };
  });
}
