/**
 * The tests `npm run mutate` runs against each mutant of the session machine: the fast ones, which
 * run the machine in-process (stub actors, pure transitions, the lifecycle table). The HTTP suites
 * are left out: at 30 s a run they would make a mutation run last hours.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/machine/**/*.test.ts', 'test/model/lifecycle-table.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
