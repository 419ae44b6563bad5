/**
 * The caller's side of a streamed reply: an async iterator over the events of one turn, fed by
 * the session as the machine emits them, and the turn's promise.
 */
import type { StreamEvent } from '../machines/session.types.js';
import type { Turn } from './turn.js';

/**
 * A streamed reply: iterate it for the events as they arrive; `turn` resolves with the same
 * {@link Turn} as `send()` would. Leaving the loop early (`break`) cancels the request.
 */
export interface TurnStream extends AsyncIterable<StreamEvent> {
  /** The whole reply, once the agent's turn is over. */
  readonly turn: Promise<Turn>;
  /** Cancels the message (the request is aborted; `turn` rejects with an {@link AbortError}). */
  cancel(): void;
}

/** Where a stream's events come from: absent for a message refused before it was queued. */
export interface TurnStreamSource {
  /** Calls `push` with each event of the turn, in order, until the returned function is called. */
  subscribe(push: (event: StreamEvent) => void): () => void;
  /** Cancels the message. */
  cancel(): void;
}

/**
 * The {@link TurnStream} of a turn. Events not read yet wait in `buffer[head..]`: one network
 * read brings many events at once, and the loop takes them without a promise of its own each
 * (`next()` is not async), waiting only when it has read them all. A failed turn ends the loop by
 * rejecting with its error.
 */
export function turnStream(turn: Promise<Turn>, source: TurnStreamSource | undefined): TurnStream {
  const buffer: StreamEvent[] = [];
  let head = 0;
  let wake: (() => void) | undefined;
  let settled = false;
  let failure: Error | undefined;
  const off = source
    ? source.subscribe((event) => {
        buffer.push(event);
        wake?.();
      })
    : () => undefined;
  // Every event of a turn is emitted before the turn settles: then the listener can go, even if
  // the caller never reads the stream (the buffer goes with the iterator).
  const settle = (err?: Error) => {
    settled = true;
    failure = err;
    off();
    wake?.();
  };
  turn.then(() => settle(), settle);
  const cancel = () => {
    if (!settled) source?.cancel();
  };
  /** The next result, or `undefined` when the loop must wait for the stream. */
  const take = (): IteratorResult<StreamEvent> | undefined => {
    if (head < buffer.length) {
      const value = buffer[head++]!;
      if (head === buffer.length) buffer.length = head = 0;
      return { value, done: false };
    }
    if (!settled) return undefined;
    off();
    return { value: undefined, done: true };
  };
  const settleNext = (result: IteratorResult<StreamEvent>) =>
    result.done && failure ? Promise.reject(failure) : Promise.resolve(result);
  const next = (): Promise<IteratorResult<StreamEvent>> => {
    const result = take();
    if (result) return settleNext(result);
    // Woken by the next event or by the end of the turn: either way `take()` has a result,
    // handed over as it is (a promise inside would cost the caller two more microtasks).
    return new Promise<IteratorResult<StreamEvent>>((resolve, reject) => {
      wake = () => {
        wake = undefined;
        const woken = take()!;
        if (woken.done && failure) reject(failure);
        else resolve(woken);
      };
    });
  };
  return {
    turn,
    cancel,
    [Symbol.asyncIterator]: (): AsyncIterator<StreamEvent> => ({
      next,
      return: () => {
        cancel();
        off();
        return Promise.resolve({ value: undefined, done: true });
      },
    }),
  };
}
