/**
 * `chat` in a real terminal (tmux) when things go wrong: signals and Ctrl-C while starting, in a
 * turn and idle; a start that fails for good; the retry spinner on a narrow terminal. The REPL
 * talks to an emulator started here, through the environment.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAgentApi, type FakeAgentApi } from '../../src/fake-server/index.js';
import { CLI, cleanEnv, ensureBuilt, tempDir } from './helpers.js';
import { Terminal } from './terminal.js';

const CLIENT_ID = 'repl-interrupts-client';
const SECRET = 'repl-interrupts-secret-5c1f';

let home: { dir: string; cleanup: () => void };
let api: FakeAgentApi;
let term: Terminal | undefined;

/** Runs `chat` in a terminal; its first line is `PID:<pid>` so the test can signal it. */
function chat(options: { columns?: number } = {}, ...args: string[]): Terminal {
  const env = cleanEnv(home.dir, {
    SF_MY_DOMAIN_URL: api.url,
    SF_CLIENT_ID: CLIENT_ID,
    SF_CLIENT_SECRET: SECRET,
    SF_AGENT_ID: '0XxREPLINTR000001A',
  });
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
  term = new Terminal(home.dir, argv, env, options.columns);
  return term;
}

async function pidOf(t: Terminal): Promise<number> {
  const screen = await t.waitFor(/^PID:\d+$/m);
  return Number(/^PID:(\d+)$/m.exec(screen)![1]);
}

const requestsTo = (route: string) => api.requests.filter((r) => r.route === route).length;

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(() => ensureBuilt(), 180_000);

beforeEach(async () => {
  home = tempDir();
  api = await startFakeAgentApi({
    anyAgentId: true,
    port: 0,
    clientId: CLIENT_ID,
    clientSecret: SECRET,
  });
});

afterEach(async () => {
  term?.close();
  term = undefined;
  await api.close();
  home.cleanup();
});

describe('chat in a terminal, interrupted', { timeout: 90_000 }, () => {
  it('SIGTERM while the session starts: the session is ended once started, exit 143', async () => {
    api.faults.next('start', { delayMs: 1500 });
    const t = chat();
    const pid = await pidOf(t);
    await t.waitFor(/starting a session \d+\.\ds/);
    process.kill(pid, 'SIGTERM');
    const screen = await t.waitFor(/^EXIT:\d+$/m);
    expect(screen).toMatch(/^EXIT:143$/m);
    expect(api.sessions()).toEqual([
      expect.objectContaining({ status: 'ended', endReason: 'UserRequest' }),
    ]);
  });

  it('SIGINT in a turn and SIGHUP while idle end the session: exit 130 and 129', async () => {
    let t = chat();
    let pid = await pidOf(t);
    await t.waitFor(/^you ›\s*$/m);
    api.faults.next('send', { delayMs: 3000 });
    t.type('are you there?');
    await until('the message', () => requestsTo('send') === 1);
    process.kill(pid, 'SIGINT');
    let screen = await t.waitFor(/^EXIT:\d+$/m);
    expect(screen).toMatch(/^EXIT:130$/m);
    expect(screen).toContain('your message was dropped');
    expect(api.sessions()[0]).toMatchObject({ status: 'ended', endReason: 'UserRequest' });

    t.close();
    t = chat();
    pid = await pidOf(t);
    await t.waitFor(/^you ›\s*$/m);
    process.kill(pid, 'SIGHUP');
    screen = await t.waitFor(/^EXIT:\d+$/m);
    expect(screen).toMatch(/^EXIT:129$/m);
    expect(api.sessions()[1]).toMatchObject({ status: 'ended', endReason: 'UserRequest' });
  });

  it('Ctrl-C in a turn: says the message was dropped, shows the session ending, exit 130', async () => {
    const t = chat();
    await t.waitFor(/^you ›\s*$/m);
    api.faults.next('send', { delayMs: 4000 });
    api.faults.next('end', { delayMs: 1500 });
    t.type('where is my order?');
    await t.waitFor(/the agent is working \d+\.\ds/);
    t.press('C-c');
    let screen = await t.waitFor(/ending the session \d+\.\ds/);
    expect(screen).toContain('! your message was dropped: no reply will come; ending the session');
    screen = await t.waitFor(/^EXIT:\d+$/m);
    expect(screen).toMatch(/^EXIT:130$/m);
    expect(screen).toMatch(/ended \(UserRequest\)/);
    expect(api.sessions()[0]).toMatchObject({ status: 'ended', endReason: 'UserRequest' });
  });

  it('a start refused for good: says so without offering to go on, exit 4', async () => {
    api.faults.next('start', { status: 403 });
    const t = chat();
    const screen = await t.waitFor(/^EXIT:\d+$/m);
    expect(screen).toMatch(/^EXIT:4$/m);
    expect(screen).toContain('✗ the session did not start: permission_denied');
    expect(screen).not.toContain('Type a message to start a new one');
  });

  it('retries on a 40-column terminal: the spinner names the cause and leaves no line', async () => {
    const t = chat({ columns: 40 });
    await t.waitFor(/^you ›\s*$/m);
    api.faults.next('send', { status: 503 }, { times: 2 });
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
    await api.close();
    t.type('hello');
    const screen = await t.waitFor(/connection failed \(ECONNREFUSED\): retry 1 in \d+ s/);
    expect(screen).not.toContain('busy');
  });
});
