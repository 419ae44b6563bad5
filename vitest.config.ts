import { defineConfig } from 'vitest/config';
import { ciMissingError, isCI, missingServices } from './test/support/services.js';
import { SkippedServicesReporter } from './test/support/skipped-services-reporter.js';

// Suites that need a program this machine lacks are left out (and named at the end of the run);
// CI must have every program.
const missing = missingServices();
if (missing.length > 0 && isCI(process.env)) throw ciMissingError(missing);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    exclude: missing.flatMap((service) => service.files),
    reporters: missing.length > 0 ? ['default', new SkippedServicesReporter(missing)] : ['default'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
