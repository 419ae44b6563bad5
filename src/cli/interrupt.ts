/**
 * SIGINT, SIGTERM and SIGHUP while a command runs. The command is told (so it can end or save its
 * session) and the process exits with 128 + the signal number (130, 143, 129): at once on a second
 * signal, with no command listening, or when the grace period runs out, whatever is still pending.
 */

/** A signal that interrupted the command, and the exit code it gives. */
export interface Interruption {
  signal: NodeJS.Signals;
  code: number;
}

const CODES: Readonly<Record<string, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };
const SIGNALS = Object.keys(CODES) as NodeJS.Signals[];

/** How long a command may take to end or save its session after a signal. */
export const INTERRUPT_GRACE_MS = 5000;

let current: Interruption | undefined;
const listeners = new Set<(interruption: Interruption) => void>();

/** The signal that interrupted this process, if one came. */
export function interrupted(): Interruption | undefined {
  return current;
}

/** The exit code of a signal: 128 + its number. */
export function exitCodeOfSignal(signal: NodeJS.Signals): number {
  return CODES[signal] ?? 130;
}

function onSignal(signal: NodeJS.Signals): void {
  if (current !== undefined) {
    process.stderr.write(`agentforce-session: ${signal} again: exiting without waiting\n`);
    process.exit(current.code);
  }
  const interruption: Interruption = { signal, code: exitCodeOfSignal(signal) };
  current = interruption;
  if (listeners.size === 0) process.exit(interruption.code);
  setTimeout(() => {
    process.stderr.write(
      `agentforce-session: still busy ${INTERRUPT_GRACE_MS / 1000} s after ${signal}: exiting\n`,
    );
    process.exit(interruption.code);
  }, INTERRUPT_GRACE_MS).unref();
  for (const listener of [...listeners]) listener(interruption);
}

/**
 * Installs the signal handlers of the CLI process (once, before any command runs). Until a
 * command listens with {@link whenInterrupted}, a signal exits at once.
 */
export function handleSignals(): void {
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

/**
 * Calls `listener` on the first signal (at once if one already came). Returns a function that
 * stops listening.
 */
export function whenInterrupted(listener: (interruption: Interruption) => void): () => void {
  if (current !== undefined) {
    listener(current);
    return () => undefined;
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}
