/**
 * The tests `npm run mutate:http` runs against each mutant of the HTTP actors and the request
 * layer (`src/actors/`, `src/http/`): the client suites, which talk HTTP to the emulator on
 * loopback, the error mapping, and the fuzzers of the stream and reply parsers.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/client/**/*.test.ts',
      'test/errors/**/*.test.ts',
      'test/fuzz/sse.fuzz.test.ts',
      'test/fuzz/parse.fuzz.test.ts',
    ],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
