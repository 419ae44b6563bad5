/**
 * The outside programs some suites need, and which test files need them. On a machine without
 * one, `npm test` leaves those files out and says so in one line at the end of the run; with
 * `CI=true` a missing program is an error instead, so CI never skips a suite silently.
 *
 * A file that starts a service itself (through `test/stores/redis-server.ts` or
 * `test/cli/terminal.ts`) must be matched by that service's `files`: `services.test.ts` checks it.
 */
import { spawnSync } from 'node:child_process';

/** A program that some test files cannot run without. */
export interface Service {
  /** The program, as a person would install it. */
  name: string;
  /** What the suites that need it test, for the skip line. */
  covers: string;
  /** The test files (globs relative to the project) that need it. */
  files: string[];
  /** The helper module whose import marks a file as needing this service. */
  helper: string;
  /** How to make it available. */
  howToRun: string;
  /** Whether it can be used on this machine now. */
  available(env: NodeJS.ProcessEnv): boolean;
}

const runs = (command: string, args: string[], env: NodeJS.ProcessEnv): boolean =>
  spawnSync(command, args, { stdio: 'ignore', env }).status === 0;

export const services: readonly Service[] = [
  {
    name: 'redis-server',
    covers: 'the Redis store and the scale-out',
    files: [
      'test/stores/redis.test.ts',
      'test/stores/cross-process.test.ts',
      'test/manager/multi-node.test.ts',
      'test/manager/leases.test.ts',
      'test/manager/leave.test.ts',
      'test/manager/redis-faults.test.ts',
      'test/soak/scale-out.test.ts',
      'test/telemetry/cross-process.test.ts',
    ],
    helper: 'redis-server.js',
    howToRun: 'install redis-server (apt-get install redis-server) or set REDIS_URL',
    available: (env) => Boolean(env['REDIS_URL']) || runs('redis-server', ['--version'], env),
  },
  {
    name: 'tmux',
    covers: 'the chat REPL in a real terminal',
    files: [
      'test/cli/repl.test.ts',
      'test/cli/repl-interrupts.test.ts',
      'test/cli/feedback.test.ts',
    ],
    helper: 'terminal.js',
    howToRun: 'install tmux (apt-get install tmux)',
    available: (env) => runs('tmux', ['-V'], env),
  },
];

/** Whether this run is CI's, where nothing may be skipped for want of a program. */
export const isCI = (env: NodeJS.ProcessEnv): boolean =>
  Boolean(env['CI']) && env['CI'] !== 'false' && env['CI'] !== '0';

/** The services this machine lacks. */
export function missingServices(env: NodeJS.ProcessEnv = process.env): Service[] {
  return services.filter((service) => !service.available(env));
}

/** The line that ends a run which left suites out, one sentence per missing program. */
export function skippedLine(missing: readonly Service[]): string {
  const parts = missing.map(
    (service) =>
      `${service.files.length} file(s) testing ${service.covers} (no ${service.name}: ${service.howToRun} to run them)`,
  );
  return `Skipped ${parts.join('; ')}.`;
}

/** The error a CI run gives when a program is missing. */
export function ciMissingError(missing: readonly Service[]): Error {
  const names = missing.map((service) => `${service.name} (${service.howToRun})`).join(', ');
  return new Error(
    `CI=true and this machine lacks ${names}: CI runs every suite, so install them (.ci/run does) or unset CI to skip those suites.`,
  );
}
