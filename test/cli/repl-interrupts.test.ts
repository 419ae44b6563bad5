/**
 * `chat` in a real terminal (tmux) when things go wrong: signals and Ctrl-C while starting, in a
 * turn and idle; a start that fails for good; the retry spinner on a narrow terminal. The REPL
 * talks to an emulator started here, through the environment.
 */
import { describe, expect, it } from 'vitest';
import { CLI, until } from './helpers.js';
import { useEmulatorOrg } from './org.js';
import { useTerminal, type Terminal } from './terminal.js';

const CLIENT_ID = 'repl-interrupts-client';
const SECRET = 'repl-interrupts-secret-5c1f';

const org = useEmulatorOrg({ clientId: CLIENT_ID, clientSecret: SECRET });
const openTerminal = useTerminal();

/** Runs `chat` in a terminal; its first line is `PID:<pid>` so the test can signal it. */
function chat(options: { columns?: number } = {}, ...args: string[]): Terminal {
  const env = org.env('0XxREPLINTR000001A');
  delete env['NO_COLOR'];
  const argv = [
    'sh',
    '-c',
    'echo "PID:$$"; exec "$@"',
    'sh',
    process.execPath,
    CLI,
    'chat',
    ...args,
  ];
  return openTerminal(org.home, argv, env, options.columns);
}

async function pidOf(t: Terminal): Promise<number> {
  const screen = await t.waitFor(/^PID:\d+$/m);
  return Number(/^PID:(\d+)$/m.exec(screen)![1]);
}

describe('chat in a terminal, interrupted', { timeout: 90_000 }, () => {
  it('SIGTERM while the session starts: the session is ended once started, exit 143', async () => {
    org.api.faults.next('start', { delayMs: 1500 });
    const t = chat();
    const pid = await pidOf(t);
    await t.waitFor(/starting a session \d+\.\ds/);
    process.kill(pid, 'SIGTERM');
    const screen = await t.waitFor(/^EXIT:\d+$/m);
    expect(screen).toMatch(/^EXIT:143$/m);
    expect(org.api.sessions()).toEqual([
      expect.objectContaining({ status: 'ended', endReason: 'UserRequest' }),
    ]);
  });

  it('SIGINT in a turn and SIGHUP while idle end the session: exit 130 and 129', async () => {
    let t = chat();
    let pid = await pidOf(t);
    await t.waitFor(/^you ›\s*$/m);
    org.api.faults.next('send', { delayMs: 3000 });
    t.type('are you there?');
    await until('the message', () => org.requestsTo('send') === 1);
    process.kill(pid, 'SIGINT');
    let screen = await t.waitFor(/^EXIT:\d+$/m);
    expect(screen).toMatch(/^EXIT:130$/m);
    expect(screen).toContain('your message was dropped');
    expect(org.api.sessions()[0]).toMatchObject({ status: 'ended', endReason: 'UserRequest' });

    t.close();
    t = chat();
    pid = await pidOf(t);
    await t.waitFor(/^you ›\s*$/m);
    process.kill(pid, 'SIGHUP');
    screen = await t.waitFor(/^EXIT:\d+$/m);
    expect(screen).toMatch(/^EXIT:129$/m);
    expect(org.api.sessions()[1]).toMatchObject({ status: 'ended', endReason: 'UserRequest' });
  });

  it('Ctrl-C in a turn: says the message was dropped, shows the session ending, exit 130', async () => {
    const t = chat();
    await t.waitFor(/^you ›\s*$/m);
    org.api.faults.next('send', { delayMs: 4000 });
    org.api.faults.next('end', { delayMs: 1500 });
    t.type('where is my order?');
    await t.waitFor(/the agent is working \d+\.\ds/);
    t.press('C-c');
    let screen = await t.waitFor(/ending the session \d+\.\ds/);
    expect(screen).toContain('! your message was dropped: no reply will come; ending the session');
    screen = await t.waitFor(/^EXIT:\d+$/m);
    expect(screen).toMatch(/^EXIT:130$/m);
    expect(screen).toMatch(/ended \(UserRequest\)/);
    expect(org.api.sessions()[0]).toMatchObject({ status: 'ended', endReason: 'UserRequest' });
  });

  it('a start refused for good: says so without offering to go on, exit 4', async () => {
    org.api.faults.next('start', { status: 403 });
    const t = chat();
    const screen = await t.waitFor(/^EXIT:\d+$/m);
    expect(screen).toMatch(/^EXIT:4$/m);
    expect(screen).toContain('✗ the session did not start: permission_denied');
    expect(screen).not.toContain('Type a message to start a new one');
  });

  it('retries on a 40-column terminal: the spinner names the cause and leaves no line', async () => {
    const t = chat({ columns: 40 });
    await t.waitFor(/^you ›\s*$/m);
    org.api.faults.next('send', { status: 503 }, { times: 2 });
    t.type('hello');
    await t.waitFor(/unavailable \(503\)/);
    const screen = await t.waitFor(/You said: "hello"/);
    await t.waitFor(/^you ›\s*$/m);
    // Everything between the message and the reply: the spinner left nothing behind.
    const after = screen.slice(screen.lastIndexOf('you › hello'));
    expect(after).not.toMatch(/retry|503|busy/);
  });

  it('a refused connection: the spinner says so, not that the server is busy', async () => {
    const t = chat();
    await t.waitFor(/^you ›\s*$/m);
    await org.api.close();
    t.type('hello');
    const screen = await t.waitFor(/connection failed \(ECONNREFUSED\): retry 1 in \d+ s/);
    expect(screen).not.toContain('busy');
  });
});
