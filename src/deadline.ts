/** Work raced against a deadline: the shutdowns of the client and of the session manager. */
import { AgentforceError, TimeoutError, isAgentforceError } from './errors.js';

/** A deadline as a promise, for racing work against it. */
export interface Deadline {
  /** Resolves `'deadline'` once the time is up. */
  readonly reached: Promise<'deadline'>;
  /** Stops the timer (the work finished first). */
  clear(): void;
}

export function startDeadline(ms: number): Deadline {
  let timer: NodeJS.Timeout | undefined;
  const reached = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), ms);
  });
  return { reached, clear: () => clearTimeout(timer) };
}

/** An item whose work failed, or did not settle before the deadline (`timedOut`). */
export interface Unsettled<T> {
  item: T;
  error: AgentforceError;
  timedOut: boolean;
}

/**
 * Runs `work` on every item at once and waits at most `deadlineMs` in all. Resolves with the
 * items whose work failed (its error, typed) or was still running at the deadline (a
 * {@link TimeoutError} with `timeoutMessage`), in the order they did so.
 */
export async function settleWithin<T>(
  items: Iterable<T>,
  deadlineMs: number,
  work: (item: T) => Promise<unknown>,
  timeoutMessage: (item: T) => string,
): Promise<Unsettled<T>[]> {
  const deadline = startDeadline(deadlineMs);
  const unsettled: Unsettled<T>[] = [];
  await Promise.all(
    [...items].map(async (item) => {
      const result = await Promise.race([
        work(item).then(
          () => 'ok' as const,
          (err: unknown) => ({ err }),
        ),
        deadline.reached,
      ]);
      if (result === 'ok') return;
      unsettled.push(
        result === 'deadline'
          ? { item, error: new TimeoutError(timeoutMessage(item)), timedOut: true }
          : {
              item,
              error: isAgentforceError(result.err)
                ? result.err
                : new AgentforceError(String(result.err)),
              timedOut: false,
            },
      );
    }),
  );
  deadline.clear();
  return unsettled;
}
