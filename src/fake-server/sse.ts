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
export async function runStream(x: Exchange, reply: StreamReply): Promise<void> {
  const { res, state } = x;
  const delay = state.options.streamChunkDelayMs;
  const fault = midStreamFault(x.fault);
  const malformed = x.fault !== undefined && 'malformed' in x.fault ? x.fault.malformed : undefined;
  const faultAt = fault ? (fault.afterEvents ?? 1) : -1;
  x.streaming = true;
  x.entry.status = 200;
  state.record.replied(x.entry.route, 200);
  if (x.closed) {
    x.releaseLock();
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream;charset=UTF-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  state.record.streamStarted();
  x.entry.outcome = 'streamed';
  const { events, originEventId, traceId } = reply;
  for (let i = 0; i <= events.length; i++) {
    if (i > 0 && delay > 0) await x.pause(delay);
    if (x.closed) return;
    if (state.closing) {
      res.destroy();
      return;
    }
    if (fault !== undefined && i === faultAt) {
      if ('streamError' in fault) {
        const status = fault.status ?? 500;
        const body = errorBody(status, {
          pathname: x.pathname,
          requestId: x.requestId,
          now: x.now(),
          error: fault.error,
          message: fault.message,
        });
        res.write(sseFrame('ERROR', originEventId, JSON.stringify(body)));
        finish(x);
        return;
      }
      if ('stall' in fault) {
        x.entry.outcome = 'stalled';
        // The server gives a turn its budget, then ends it with a 500 as an ERROR event.
        const timer = setTimeout(() => {
          if (x.closed) return;
          const budget = state.options.turnBudgetMs;
          const body = errorBody(500, {
            pathname: x.pathname,
            requestId: x.requestId,
            now: x.now(),
            error: 'HttpServerErrorException',
            message: turnBudgetMessage(budget),
          });
          res.write(sseFrame('ERROR', originEventId, JSON.stringify(body)));
          finish(x);
        }, state.options.turnBudgetMs);
        await x.untilClosed();
        clearTimeout(timer);
        return;
      }
      // Let what was written reach the socket first: the client sees the events, then a reset.
      await new Promise<void>((resolve) => res.write('', () => resolve()));
      if (!x.closed) x.drop();
      return;
    }
    const ev = events[i];
    if (ev === undefined) break;
    let data: string;
    if (malformed !== undefined && i === 0) {
      data = malformed === 'shape' ? '{"unexpected":"emulator malformed event"}' : '{"timestamp":';
    } else {
      data = JSON.stringify({
        timestamp: x.now(),
        originEventId,
        traceId,
        offset: ev.offset,
        message: ev.message,
      });
    }
    res.write(sseFrame(ev.event, originEventId, data));
  }
  finish(x);
}

function finish(x: Exchange): void {
  x.res.end();
  x.state.record.streamCompleted();
  x.releaseLock();
}
