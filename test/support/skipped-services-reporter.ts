/**
 * A vitest reporter that ends the run with one line naming the suites left out for want of a
 * program (see `services.ts`), so a green run on a bare machine never hides what it did not test.
 */
import type { Reporter } from 'vitest/reporters';
import type { Service } from './services.js';
import { skippedLine } from './services.js';

export class SkippedServicesReporter implements Reporter {
  readonly #missing: readonly Service[];

  constructor(missing: readonly Service[]) {
    this.#missing = missing;
  }

  onTestRunEnd(): void {
    process.stdout.write(`\n ${skippedLine(this.#missing)}\n\n`);
  }
}
