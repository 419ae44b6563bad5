/**
 * `chat --trace` prints each turn's timing breakdown on stderr, read from the library's spans;
 * stdout (the replies, or `--json`) stays as it was.
 */
import { describe, expect, it } from 'vitest';
import { cleanEnv, ensureBuilt, runCli, tempDir } from './helpers.js';

const LINE =
  /^trace: turn (\d+): (\d+) ms = token (\d+) \+ queue (\d+) \+ start (\d+) \+ retries (\d+) \((\d+)\) \+ request (\d+)( \(agent \d+\))?/;

describe('chat --trace', () => {
  it("prints one timing line per turn, streamed turns with the agent's own time", async () => {
    ensureBuilt();
    const home = tempDir('afs-trace-');
    try {
      const plain = await runCli(['chat', '--json', '--trace'], {
        env: cleanEnv(home.dir),
        input: 'hello\nwhere is my order?\n',
      });
      expect(plain.code, plain.stderr).toBe(0);
      const lines = plain.stderr.split('\n').filter((l) => l.startsWith('trace: '));
      expect(lines, plain.stderr).toHaveLength(2);
      const [first, second] = lines.map((l) => LINE.exec(l));
      expect(first?.[1]).toBe('1');
      expect(second?.[1]).toBe('2');
      // stdout holds the JSON lines only.
      for (const line of plain.stdout.trim().split('\n'))
        expect(() => void JSON.parse(line)).not.toThrow();

      const streamed = await runCli(['chat', '--stream', '--trace'], {
        env: cleanEnv(home.dir),
        input: 'tell me about returns\n',
      });
      expect(streamed.code, streamed.stderr).toBe(0);
      const line = streamed.stderr.split('\n').find((l) => l.startsWith('trace: '));
      expect(line).toMatch(LINE);
      expect(line).toMatch(/\(agent \d+\)/);
    } finally {
      home.cleanup();
    }
  }, 120_000);
});
