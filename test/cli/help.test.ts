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

describe('help and version', { timeout: 120_000 }, () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const r = await runCli(['--version'], { env: cleanEnv(home.dir) });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('--help lists every command, and each command has help with examples', async () => {
    const top = await runCli(['--help'], { env: cleanEnv(home.dir) });
    expect(top.code).toBe(0);
    // Every command the top-level help lists, so a new command without examples fails here.
    const commands = [...top.stdout.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)]
      .map((m) => m[1]!)
      .filter((c) => c !== 'help');
    expect(commands).toEqual(
      expect.arrayContaining([
        'chat',
        'start',
        'send',
        'end',
        'sessions',
        'replay',
        'fake-server',
        'diagram',
      ]),
    );
    const each = await Promise.all(
      // Started together: on a loaded machine each may take longer than runCli's default 30 s.
      commands.map((c) => runCli([c, '--help'], { env: cleanEnv(home.dir), timeoutMs: 90_000 })),
    );
    each.forEach((r, i) => {
      expect(r.code, commands[i]).toBe(0);
      expect(r.stdout, commands[i]).toMatch(/^Usage: agentforce-session \S+/);
      expect(r.stdout, commands[i]).toMatch(/^Examples:\n {2}(#|\$) /m);
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
