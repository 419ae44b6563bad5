/** One queue of work per conversation key: its turns run one at a time, in call order. */
export class TurnQueues {
  /** Per key, the settling of the last work queued (removed once the queue runs dry). */
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `work` after the work queued before it under `key` has settled, either way. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.#tails.set(key, settled);
    void settled.then(() => {
      if (this.#tails.get(key) === settled) this.#tails.delete(key);
    });
    return next;
  }

  /** The keys with queued work, each with a promise that resolves when its queue has settled. */
  pending(): Array<[key: string, settled: Promise<unknown>]> {
    return [...this.#tails.entries()];
  }
}
