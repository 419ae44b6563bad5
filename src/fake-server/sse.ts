/**
 * Server-sent events of a streamed turn: planning the events of a reply and sending them, paced,
 * with the stream faults applied.
 *
 * Order of a turn: `PROGRESS_INDICATOR` (the reply's ProgressIndicator messages, or one
 * "Working on it"), then for each reply message: `TEXT_CHUNK`s of an Inform's text (offsets
 * 1, 2, 3, ... over the whole turn) followed by the message's own event; then `END_OF_TURN`.
 */
import type { ResponseMessage } from '../api/index.js';
import { errorBody } from './errors.js';
import type { Exchange } from './exchange.js';
import type {
  DropMidStreamFault,
  Fault,
  StallFault,
  StreamErrorFault,
  ValidationFailureFault,
} from './fault-types.js';
import { newApiId } from './ids.js';
import type { PlannedEvent, StreamReply } from './reply.js';
import { turnBudgetMessage } from './turn.js';

/** SSE event name of each message type; other types go out as `UNKNOWN`. */
export const EVENT_NAMES: Readonly<Record<string, string>> = {
  Inform: 'INFORM',
  Inquire: 'INQUIRE',
  Confirm: 'CONFIRM',
  Failure: 'FAILURE',
  Escalate: 'ESCALATE',
  SessionEnded: 'SESSION_ENDED',
  Error: 'ERROR',
  ProgressIndicator: 'PROGRESS_INDICATOR',
  TextChunk: 'TEXT_CHUNK',
  EndOfTurn: 'END_OF_TURN',
  ValidationFailureChunk: 'VALIDATION_FAILURE_CHUNK',
};

/** The SSE event name of a message type. */
export function eventNameOf(type: string): string {
  return EVENT_NAMES[type] ?? 'UNKNOWN';
}

/**
 * Splits a text into up to `parts` chunks at word boundaries; the chunks concatenate to the text.
 */
export function chunkText(text: string, parts = 4): string[] {
  if (text === '') return [];
  const words = text.match(/\S+\s*|\s+/g) ?? [text];
  const n = Math.max(1, Math.min(parts, words.length));
  const per = Math.ceil(words.length / n);
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += per) chunks.push(words.slice(i, i + per).join(''));
  return chunks;
}

function textChunk(message: string, offset: number): PlannedEvent {
  return {
    event: 'TEXT_CHUNK',
    offset,
    message: { type: 'TextChunk', id: newApiId(), offset, message, formatType: 'Text' },
  };
}

/**
 * Plans the events of a reply, with a validation-failure fault applied when given. Shape
 * `inform-only` sends just the messages and `END_OF_TURN` (no progress event, no chunks), as short
 * real replies come.
 */
export function planStream(
  messages: readonly ResponseMessage[],
  validation?: ValidationFailureFault,
  shape: 'chunked' | 'inform-only' = 'chunked',
): PlannedEvent[] {
  const events: PlannedEvent[] = [];
  if (shape === 'inform-only' && validation === undefined) {
    for (const m of messages) events.push({ event: eventNameOf(m.type), offset: 0, message: m });
    events.push({
      event: 'END_OF_TURN',
      offset: 0,
      message: { type: 'EndOfTurn', id: newApiId() },
    });
    return events;
  }
  const progress = messages.filter((m) => m.type === 'ProgressIndicator');
  if (progress.length === 0) {
    events.push({
      event: 'PROGRESS_INDICATOR',
      offset: 0,
      message: {
        type: 'ProgressIndicator',
        id: newApiId(),
        indicatorType: 'ACTION',
        message: 'Working on it',
      },
    });
  } else {
    for (const m of progress) events.push({ event: 'PROGRESS_INDICATOR', offset: 0, message: m });
  }
  let offset = 0;
  let validationDone = validation === undefined;
  for (const m of messages) {
    if (m.type === 'ProgressIndicator') continue;
    const text = m.type === 'Inform' && typeof m.message === 'string' ? m.message : '';
    if (!validationDone && (text !== '' || m.type !== 'Inform')) {
      validationDone = true;
      const chunks = chunkText(text);
      const before = Math.min(validation!.afterChunks ?? 1, chunks.length);
      for (const c of chunks.slice(0, before)) events.push(textChunk(c, ++offset));
      offset++;
      events.push({
        event: 'VALIDATION_FAILURE_CHUNK',
        offset,
        message: {
          type: 'ValidationFailureChunk',
          id: newApiId(),
          offset,
          reason: validation!.reason ?? 'The response failed validation and was regenerated',
        },
      });
      for (const c of chunks) events.push(textChunk(c, ++offset));
    } else {
      for (const c of chunkText(text)) events.push(textChunk(c, ++offset));
    }
    events.push({ event: eventNameOf(m.type), offset: 0, message: m });
  }
  events.push({ event: 'END_OF_TURN', offset: 0, message: { type: 'EndOfTurn', id: newApiId() } });
  return events;
}

/** One SSE frame: `event:`, `id:`, `data:` and a blank line. */
export function sseFrame(event: string, id: string, data: string): string {
  return `event: ${event}\nid: ${id}\ndata: ${data}\n\n`;
}

type MidStreamFault = StreamErrorFault | StallFault | DropMidStreamFault;

function midStreamFault(fault: Fault | undefined): MidStreamFault | undefined {
  if (fault === undefined) return undefined;
  if ('streamError' in fault || 'stall' in fault || 'dropMidStream' in fault) return fault;
  return undefined;
}

/**
 * Sends a planned stream: headers, then each event paced by `streamChunkDelayMs`, then closes
 * the response. Stops early when the client goes away; applies the mid-stream faults.
 */
export async function runStream(exchange: Exchange, reply: StreamReply): Promise<void> {
  const { res, state } = exchange;
  const delay = state.options.streamChunkDelayMs;
  const fault = midStreamFault(exchange.fault);
  const malformed =
    exchange.fault !== undefined && 'malformed' in exchange.fault
      ? exchange.fault.malformed
      : undefined;
  const faultAt = fault ? (fault.afterEvents ?? 1) : -1;
  exchange.streaming = true;
  exchange.entry.status = 200;
  state.record.replied(exchange.entry.route, 200);
  if (exchange.closed) {
    exchange.releaseLock();
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream;charset=UTF-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  state.record.streamStarted();
  exchange.entry.outcome = 'streamed';
  const { events, originEventId, traceId } = reply;
  for (let i = 0; i <= events.length; i++) {
    if (i > 0 && delay > 0) await exchange.pause(delay);
    if (exchange.closed) return;
    if (state.closing) {
      res.destroy();
      return;
    }
    if (fault !== undefined && i === faultAt) {
      if ('streamError' in fault) {
        const status = fault.status ?? 500;
        const body = errorBody(status, {
          pathname: exchange.pathname,
          requestId: exchange.requestId,
          now: exchange.now(),
          error: fault.error,
          message: fault.message,
        });
        res.write(sseFrame('ERROR', originEventId, JSON.stringify(body)));
        finish(exchange);
        return;
      }
      if ('stall' in fault) {
        exchange.entry.outcome = 'stalled';
        // The server gives a turn its budget, then ends it with a 500 as an ERROR event.
        const timer = setTimeout(() => {
          if (exchange.closed) return;
          const budget = state.options.turnBudgetMs;
          const body = errorBody(500, {
            pathname: exchange.pathname,
            requestId: exchange.requestId,
            now: exchange.now(),
            error: 'HttpServerErrorException',
            message: turnBudgetMessage(budget),
          });
          res.write(sseFrame('ERROR', originEventId, JSON.stringify(body)));
          finish(exchange);
        }, state.options.turnBudgetMs);
        await exchange.untilClosed();
        clearTimeout(timer);
        return;
      }
      // Let what was written reach the socket first: the client sees the events, then a reset.
      await new Promise<void>((resolve) => res.write('', () => resolve()));
      if (!exchange.closed) exchange.drop();
      return;
    }
    const ev = events[i];
    if (ev === undefined) break;
    let data: string;
    if (malformed !== undefined && i === 0) {
      data = malformed === 'shape' ? '{"unexpected":"emulator malformed event"}' : '{"timestamp":';
    } else {
      data = JSON.stringify({
        timestamp: exchange.now(),
        originEventId,
        traceId,
        offset: ev.offset,
        message: ev.message,
      });
    }
    res.write(sseFrame(ev.event, originEventId, data));
  }
  finish(exchange);
}

function finish(exchange: Exchange): void {
  exchange.res.end();
  exchange.state.record.streamCompleted();
  exchange.releaseLock();
}
