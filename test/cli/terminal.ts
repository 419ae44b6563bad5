/**
 * A real terminal for the REPL tests: a detached tmux session on a socket of its own, driven with
 * `send-keys` and read with `capture-pane`.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';

let counter = 0;

const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

export class Terminal {
  readonly socket = `afs-cli-${process.pid}-${++counter}`;
  #open = false;

  /**
   * Runs `argv` in a terminal of `columns` x 40 (default 120) with exactly `env` as its
   * environment. When the command exits, `EXIT:<code>` is printed and the pane stays open.
   */
  constructor(dir: string, argv: string[], env: NodeJS.ProcessEnv, columns = 120) {
    const vars = Object.entries(env)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join(' ');
    const script = join(dir, `terminal-${this.socket}.sh`);
    writeFileSync(
      script,
      `env -i ${vars} TERM="$TERM" ${argv.map(quote).join(' ')}\necho "EXIT:$?"\nsleep 600\n`,
    );
    this.#tmux([
      'new-session',
      '-d',
      '-x',
      String(columns),
      '-y',
      '40',
      '-s',
      'main',
      `sh ${quote(script)}`,
    ]);
    this.#open = true;
  }

  #tmux(args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', TERM: 'xterm-256color' },
    });
    if (r.status !== 0) throw new Error(`tmux ${args[0]} failed: ${r.stderr}`);
    return r.stdout;
  }

  /** The whole screen and its scrollback, wrapped lines joined. */
  screen(): string {
    return this.#tmux(['capture-pane', '-p', '-J', '-S', '-', '-t', 'main']);
  }

  /** Types text literally (no key names), then Enter when asked. */
  type(text: string, enter = true): void {
    this.#tmux(['send-keys', '-t', 'main', '-l', text]);
    if (enter) this.#tmux(['send-keys', '-t', 'main', 'Enter']);
  }

  /** Presses keys by tmux name (`C-c`, `C-d`, `Enter`). */
  press(...keys: string[]): void {
    this.#tmux(['send-keys', '-t', 'main', ...keys]);
  }

  /** Polls the screen until `pattern` shows, or fails with the screen after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000, intervalMs = 40): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${String(pattern)}; the screen was:\n${screen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** Kills the tmux server (and the command, if it still runs). */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
  }
}

/**
 * For a test file whose tests each open a terminal: the returned function opens it (arguments as
 * {@link Terminal}'s), and it is closed after the test, before the hooks registered earlier run.
 */
export function useTerminal(): (...args: ConstructorParameters<typeof Terminal>) => Terminal {
  let term: Terminal | undefined;
  afterEach(() => {
    term?.close();
    term = undefined;
  });
  return (...args) => {
    term = new Terminal(...args);
    return term;
  };
}
