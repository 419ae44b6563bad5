/** `--help` and `--version` of the CLI, and `chat --inspect`. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ensureBuilt, jsonLines, ROOT, runCli, tempDir } from './helpers.js';

let home: { dir: string; cleanup: () => void };

beforeAll(() => {
  ensureBuilt();
  home = tempDir();
}, 180_000);

afterAll(() => home.cleanup());

const COMMANDS = ['chat', 'start', 'send', 'end', 'sessions', 'replay'];

describe('help and version', { timeout: 60_000 }, () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const r = await runCli(['--version'], { env: cleanEnv(home.dir) });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('--help lists every command, and each command has help with examples', async () => {
    const results = await Promise.all([
      runCli(['--help'], { env: cleanEnv(home.dir) }),
      ...COMMANDS.map((c) => runCli([c, '--help'], { env: cleanEnv(home.dir) })),
    ]);
    const [top, ...each] = results;
    expect(top.code).toBe(0);
    for (const c of [...COMMANDS, 'fake-server'])
      expect(top.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    each.forEach((r, i) => {
      expect(r.code, COMMANDS[i]).toBe(0);
      expect(r.stdout, COMMANDS[i]).toMatch(/^Usage: agentforce-session \S+/);
      expect(r.stdout, COMMANDS[i]).toMatch(/^Examples:\n {2}(#|\$) /m);
    });
  });

  it('chat --inspect starts the inspector, says where, and still exits 0', async () => {
    const r = await runCli(['chat', '--inspect', '--json'], {
      env: cleanEnv(home.dir),
      input: 'hi\n',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/inspector at http:\/\/localhost:\d+/);
    expect(jsonLines(r.stdout).at(-1)).toMatchObject({ type: 'closed' });
  });
});
