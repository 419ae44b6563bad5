/**
 * The tests `npm run mutate` runs against each mutant of the session machine: the fast ones, which
 * run the machine in-process (stub actors, pure transitions, the lifecycle table). The HTTP suites
 * are left out: at 30 s a run they would make a mutation run last hours.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * Files in path order: the targeted machine tests first, then the lifecycle table (which walks
 * the whole chart). A mutant run stops at its first failure, so most mutants die in the quick ones.
 */
class ByPath extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return Promise.resolve([...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId)));
  }
}

export default defineConfig({
  test: {
    include: ['test/machine/**/*.test.ts', 'test/model/lifecycle-table.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    sequence: { sequencer: ByPath },
  },
});
