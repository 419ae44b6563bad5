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
