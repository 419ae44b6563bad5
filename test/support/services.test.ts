/**
 * The fresh-machine rule: `npm test` on a machine with only Node leaves out the suites that need
 * another program and says so at the end; with `CI=true` the same run fails. Checked by running
 * vitest itself with a PATH that holds nothing but `node`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { services } from './services.js';

const root = join(import.meta.dirname, '..', '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

describe('services the suites need', () => {
  it('every test file that starts a service is listed under that service', () => {
    for (const service of services) {
      const importing = testFiles(join(root, 'test')).filter((file) =>
        readFileSync(join(root, file), 'utf8').includes(`/${service.helper}'`),
      );
      expect(importing.length).toBeGreaterThan(0);
      expect(service.files.toSorted()).toEqual(importing.toSorted());
    }
  });
});

describe('a machine with only Node', { timeout: 120_000 }, () => {
  const bare = mkdtempSync(join(tmpdir(), 'bare-path-'));
  symlinkSync(process.execPath, join(bare, 'node'));
  afterAll(() => rmSync(bare, { recursive: true, force: true }));

  // A quick file plus one that needs Redis: the second must be left out, not failed.
  const run = (extra: NodeJS.ProcessEnv) => {
    const env: NodeJS.ProcessEnv = {
      PATH: bare,
      HOME: process.env['HOME'],
      NO_COLOR: '1',
      ...extra,
    };
    return spawnSync(
      process.execPath,
      [
        join(root, 'node_modules', 'vitest', 'vitest.mjs'),
        'run',
        'test/machine/session.machine.test.ts',
        'test/stores/redis.test.ts',
      ],
      { cwd: root, env, encoding: 'utf8', timeout: 110_000 },
    );
  };

  it('passes, and its last line names what was skipped and how to run it', () => {
    const result = run({});
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    const last = lines.at(-1) ?? '';
    const redisFiles = services.find((service) => service.name === 'redis-server')?.files ?? [];
    expect(last).toContain(
      `Skipped ${redisFiles.length} file(s) testing the Redis store and the scale-out`,
    );
    expect(last).toContain('no redis-server');
    expect(last).toContain('REDIS_URL');
    expect(last).toContain('no tmux');
    expect(result.stdout).toMatch(/Test Files\s+1 passed \(1\)/);
  });

  it('fails with CI=true, naming the missing programs', () => {
    const result = run({ CI: 'true' });
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('CI=true and this machine lacks redis-server');
    expect(result.stdout + result.stderr).toContain('tmux');
  });
});
