/**
 * The bad-input table: every public entry point and CLI flag with its bad values, the typed error
 * it gets, and what stays unchanged. One list for both the tests (`bad-input.test.ts`) and the
 * `## Bad input` section of docs/errors.md (checked against each other, cell by cell; print the
 * table with `npx tsx test/bad-input/table.ts`).
 */
import {
  AgentforceClient,
  SESSION_SCHEMA_VERSION,
  clientCredentials,
  type AgentSession,
  type ClientOptions,
  type SessionOptions,
} from '../../src/index.js';
import { startFakeAgentApi, type FakeAgentApi } from '../../src/fake-server/index.js';

export const AGENT_ID = '0XxBAD000000000001';
export const CREDENTIALS = { clientId: 'bad-input-client', clientSecret: 'bad-input-secret' };

/** What the cases act on: the emulator, and clients and sessions made on it. */
export interface Harness {
  readonly api: FakeAgentApi;
  client(options?: Partial<ClientOptions>): AgentforceClient;
  /** A started session (`awaitingInput`) of a new client. */
  started(options?: Partial<SessionOptions>, client?: Partial<ClientOptions>): Promise<Subject>;
}

export interface Subject {
  client?: AgentforceClient;
  session?: AgentSession;
  /** A persisted session to tamper with. */
  persisted?: ReturnType<AgentSession['snapshot']>;
  /** A message in flight that must still be answered after the bad call. */
  inFlight?: Promise<unknown>;
}

/** A row of the table. */
export interface Row {
  /** The call or command. */
  entry: string;
  /** The bad value. */
  bad: string;
  /** `ErrorClass` (`code`), or `exit N` for the CLI. */
  error: string;
  /** What the test proves unchanged. */
  unchanged: string;
}

export interface LibraryCase extends Row {
  kind: 'library';
  /** The error class and code the call must throw or reject with. */
  expect: { name: string; code?: string };
  setup?: (h: Harness) => Promise<Subject>;
  act: (h: Harness, s: Subject) => unknown;
}

export interface CliCase extends Row {
  kind: 'cli';
  /** Arguments after the binary; `{url}` is replaced by the test emulator's URL. */
  args: string[];
  exit: number;
  /** A fragment stderr must contain. */
  stderr: string;
}

export type Case = LibraryCase | CliCase;

const IAE = { name: 'InvalidArgumentError', code: 'invalid_argument' };
const iae = '`InvalidArgumentError` (`invalid_argument`)';
const closed = '`SessionClosedError` (`session_closed`)';
const snapshotError = '`SnapshotVersionError` (`snapshot_version`)';
const typeError = '`TypeError` naming the option';

const NO_CLIENT = 'no client made; no request';
const NO_SESSION = 'no session made (`openSessions` unchanged); no request';
const AWAITING = 'no request; state `awaitingInput`, snapshot unchanged';
const CLOSED = 'no request; state `closed`';
const NO_RESTORE = 'nothing restored (`openSessions` unchanged); no request';
const NO_DELETE = 'no `DELETE`; the session stays `awaitingInput`';
const NO_SERVER = 'no `listening on` line; no server';
const NO_REQUEST = 'no request reached the emulator';

function construct(h: Harness, options: unknown): unknown {
  if (options === null) return new AgentforceClient(null as never);
  return new AgentforceClient({
    myDomainUrl: h.api.url,
    auth: clientCredentials(CREDENTIALS),
    ...(options as object),
  });
}

function clientCase(bad: string, options: unknown): LibraryCase {
  return {
    kind: 'library',
    entry: '`new AgentforceClient(options)`',
    bad,
    error: iae,
    unchanged: NO_CLIENT,
    expect: IAE,
    act: (h) => construct(h, options),
  };
}

function sessionCase(bad: string, options: unknown): LibraryCase {
  return {
    kind: 'library',
    entry: '`client.session(options)`',
    bad,
    error: iae,
    unchanged: NO_SESSION,
    expect: IAE,
    setup: (h) => Promise.resolve({ client: h.client() }),
    act: (_h, s) => s.client?.session(options as SessionOptions),
  };
}

function sendCase(
  bad: string,
  text: unknown,
  options?: unknown,
  error = iae,
  expect = IAE,
): LibraryCase {
  return {
    kind: 'library',
    entry: '`session.send(text, options)`',
    bad,
    error,
    unchanged: AWAITING,
    expect,
    setup: (h) => h.started(),
    act: (_h, s) => s.session?.send(text as string, options as never),
  };
}

function streamCase(bad: string, text: unknown, options?: unknown): LibraryCase {
  return {
    kind: 'library',
    entry: '`session.stream(text, options)`',
    bad,
    error: `${iae}: \`turn\` rejects, the loop throws`,
    unchanged: AWAITING,
    expect: IAE,
    setup: (h) => h.started(),
    act: async (_h, s) => {
      const reply = s.session?.stream(text as string, options as never);
      if (!reply) return;
      let looped: unknown;
      try {
        for await (const _ of reply) void _;
      } catch (err) {
        looped = err;
      }
      await reply.turn.catch((err: unknown) => {
        if (err !== looped) throw new Error('the loop and the turn failed differently');
        throw err;
      });
    },
  };
}

/** A persisted session, loosely typed for tampering. */
interface Tamperable {
  format: unknown;
  schemaVersion: unknown;
  machine: { value: unknown; status: unknown; context: Record<string, unknown> };
}

function restoreCase(bad: string, tamper: (p: Tamperable) => unknown): LibraryCase {
  return {
    kind: 'library',
    entry: '`client.restore(persisted)`',
    bad,
    error: snapshotError,
    unchanged: NO_RESTORE,
    expect: { name: 'SnapshotVersionError', code: 'snapshot_version' },
    setup: async (h) => {
      const s = await h.started();
      const persisted = s.session?.snapshot();
      return persisted ? { ...s, persisted } : s;
    },
    act: (_h, s) =>
      s.client?.restore(tamper(structuredClone(s.persisted) as unknown as Tamperable)),
  };
}

function emulatorCase(bad: string, options: unknown): LibraryCase {
  return {
    kind: 'library',
    entry: '`startFakeAgentApi(options)`',
    bad,
    error: typeError,
    unchanged: 'no server listening; no request',
    expect: { name: 'TypeError' },
    act: () => startFakeAgentApi(options as never),
  };
}

function fakeServerFlag(bad: string, args: string[], stderr: string): CliCase {
  return {
    kind: 'cli',
    entry: '`agentforce-session fake-server`',
    bad,
    error: 'exit 2, stderr names the flag',
    unchanged: NO_SERVER,
    args: ['fake-server', ...args],
    exit: 2,
    stderr,
  };
}

function chatFlag(bad: string, args: string[], stderr: string): CliCase {
  return {
    kind: 'cli',
    entry: '`agentforce-session chat --my-domain URL`',
    bad,
    error: 'exit 2, stderr names the flag',
    unchanged: NO_REQUEST,
    args: ['chat', '--json', '--my-domain', '{url}', ...args],
    exit: 2,
    stderr,
  };
}

const LONG = 'x'.repeat(100_001);

export const CASES: Case[] = [
  clientCase('options `null`', null),
  clientCase("`myDomainUrl: 'http://example.my.salesforce.com'` (http, not loopback)", {
    myDomainUrl: 'http://example.my.salesforce.com',
  }),
  clientCase("`myDomainUrl: 'ftp://127.0.0.1'`", { myDomainUrl: 'ftp://127.0.0.1' }),
  clientCase("`myDomainUrl: 'example.my.salesforce.com'` (not absolute)", {
    myDomainUrl: 'example.my.salesforce.com',
  }),
  clientCase('`myDomainUrl` with credentials (`https://user:pw@…`)', {
    myDomainUrl: 'https://user:pw@example.my.salesforce.com',
  }),
  clientCase("`apiBaseUrl: 'http://api.salesforce.com'`", {
    apiBaseUrl: 'http://api.salesforce.com',
  }),
  clientCase('`auth: 42`', { auth: 42 }),
  clientCase("`auth: ''`", { auth: '' }),
  clientCase('`auth` missing', { auth: undefined }),
  clientCase('`timeoutMs: 0`', { timeoutMs: 0 }),
  clientCase("`timeoutMs: '2000'` (a string)", { timeoutMs: '2000' }),
  clientCase('`retry: { maxRetries: -1 }`', { retry: { maxRetries: -1 } }),
  clientCase('`retry: { retries: 3 }` (unknown key)', { retry: { retries: 3 } }),
  clientCase('`maxSockets: 0`', { maxSockets: 0 }),
  clientCase('`streamIdleTimeoutMs: 1.5`', { streamIdleTimeoutMs: 1.5 }),
  clientCase('`clock: { now() }` (no timers)', { clock: { now: () => 0 } }),
  clientCase('`inspect: 42`', { inspect: 42 }),
  clientCase('`sessionDefaults: { maxQueue: -1 }`', { sessionDefaults: { maxQueue: -1 } }),
  {
    kind: 'library',
    entry: '`clientCredentials(options)`',
    bad: "`clientId: ''`",
    error: iae,
    unchanged: NO_CLIENT,
    expect: IAE,
    act: () => clientCredentials({ clientId: '', clientSecret: 's' }),
  },
  {
    kind: 'library',
    entry: '`clientCredentials(options)`',
    bad: '`clientSecret` missing',
    error: iae,
    unchanged: NO_CLIENT,
    expect: IAE,
    act: () => clientCredentials({ clientId: 'id' } as never),
  },
  sessionCase('options `null`', null),
  sessionCase("`agentId: 'not-an-agent'`", { agentId: 'not-an-agent' }),
  sessionCase("`agentId: '001000000000001AAA'` (not `0Xx`)", { agentId: '001000000000001AAA' }),
  sessionCase("`agentId: '0Xx000000000001/..'` (path characters)", {
    agentId: '0Xx000000000001/..',
  }),
  sessionCase('`variables: {}` (not an array)', { agentId: AGENT_ID, variables: {} }),
  sessionCase('a variable with an empty `name`', {
    agentId: AGENT_ID,
    variables: [{ name: '', type: 'Text', value: 'x' }],
  }),
  sessionCase("`{ type: 'Boolean', value: 'true' }` (a string)", {
    agentId: AGENT_ID,
    variables: [{ name: 'n', type: 'Boolean', value: 'true' }],
  }),
  sessionCase("a variable of type `'Nope'`", {
    agentId: AGENT_ID,
    variables: [{ name: 'n', type: 'Nope', value: 1 }],
  }),
  sessionCase("`tz: ''`", { agentId: AGENT_ID, tz: '' }),
  sessionCase("`bypassUser: 'yes'`", { agentId: AGENT_ID, bypassUser: 'yes' }),
  sessionCase("`onExpiry: 'retry'`", { agentId: AGENT_ID, onExpiry: 'retry' }),
  sessionCase('`maxRestarts: -1`', { agentId: AGENT_ID, maxRestarts: -1 }),
  sessionCase('`idleTimeoutMs: 0`', { agentId: AGENT_ID, idleTimeoutMs: 0 }),
  sessionCase('`maxQueue: 1.5`', { agentId: AGENT_ID, maxQueue: 1.5 }),
  sessionCase('`maxMessageLength: 0`', { agentId: AGENT_ID, maxMessageLength: 0 }),
  sendCase("`''` (empty)", ''),
  sendCase("`' \\n\\t '` (blank)", ' \n\t '),
  sendCase('`42` (not a string)', 42),
  sendCase('100,001 characters (over `maxMessageLength`)', LONG),
  sendCase('options `null`', 'hello', null),
  sendCase("`inReplyToMessageId: ''`", 'hello', { inReplyToMessageId: '' }),
  sendCase('`inReplyToMessageId: 42`', 'hello', { inReplyToMessageId: 42 }),
  sendCase("`variables: [{ type: 'Number', value: '1' }]`", 'hello', {
    variables: [{ name: 'n', type: 'Number', value: '1' }],
  }),
  sendCase('`signal: { aborted: false }` (not an `AbortSignal`)', 'hello', {
    signal: { aborted: false },
  }),
  sendCase(
    '`signal` already aborted',
    'hello',
    { signal: AbortSignal.abort() },
    '`AbortError` (`aborted`)',
    { name: 'AbortError', code: 'aborted' },
  ),
  streamCase("`''` (empty)", ''),
  streamCase('100,001 characters', LONG),
  streamCase('`signal: {}` (not an `AbortSignal`)', 'hello', { signal: {} }),
  {
    kind: 'library',
    entry: '`session.end(reason)`',
    bad: "`'Bye'` (not an end reason)",
    error: iae,
    unchanged: NO_DELETE,
    expect: IAE,
    setup: (h) => h.started(),
    act: (_h, s) => s.session?.end('Bye' as never),
  },
  {
    kind: 'library',
    entry: '`session.end(reason)`',
    bad: '`42`',
    error: iae,
    unchanged: NO_DELETE,
    expect: IAE,
    setup: (h) => h.started(),
    act: (_h, s) => s.session?.end(42 as never),
  },
  ...(['send', 'stream', 'start'] as const).map((method): LibraryCase => ({
    kind: 'library',
    entry: `\`session.${method}(…)\` after \`end()\``,
    bad: 'a closed session',
    error: closed,
    unchanged: CLOSED,
    expect: { name: 'SessionClosedError', code: 'session_closed' },
    setup: async (h) => {
      const s = await h.started();
      await s.session?.end();
      return s;
    },
    act: (_h, s) => {
      const session = s.session as AgentSession;
      if (method === 'start') return session.start();
      if (method === 'send') return session.send('hello');
      return session.stream('hello').turn;
    },
  })),
  {
    kind: 'library',
    entry: '`session.send(text)`',
    bad: 'one more message than `maxQueue: 0` allows',
    error: '`QueueFullError` (`queue_full`)',
    unchanged: 'no request; the message in flight is still answered',
    expect: { name: 'QueueFullError', code: 'queue_full' },
    setup: async (h) => {
      const s = await h.started({ maxQueue: 0 });
      h.api.faults.next('send', { delayMs: 300 });
      const inFlight = (s.session as AgentSession).send('first');
      const sent = h.api.requests.length;
      for (let i = 0; i < 200 && h.api.requests.length === sent; i++) {
        await new Promise((r) => setTimeout(r, 5));
      }
      return { ...s, inFlight };
    },
    act: (_h, s) => s.session?.send('second'),
  },
  restoreCase('`null`', () => null),
  restoreCase("`format: 'other'`", (p) => ({ ...p, format: 'other' })),
  restoreCase('`schemaVersion: 0` (another version)', (p) => ({ ...p, schemaVersion: 0 })),
  restoreCase('`schemaVersion` above the current one (a newer version)', (p) => ({
    ...p,
    schemaVersion: SESSION_SCHEMA_VERSION + 1,
  })),
  restoreCase("tampered: state `{ active: 'flying' }`", (p) => {
    p.machine.value = { active: 'flying' };
    return p;
  }),
  restoreCase('tampered: status `done` in `awaitingInput`', (p) => {
    p.machine.status = 'done';
    return p;
  }),
  restoreCase("tampered: `lastSequenceId: 'abc'`", (p) => {
    p.machine.context.lastSequenceId = 'abc';
    return p;
  }),
  restoreCase('tampered: `sessionId: 42`', (p) => {
    p.machine.context.sessionId = 42;
    return p;
  }),
  restoreCase("tampered: `agentId: 'not-an-agent'`", (p) => {
    p.machine.context.agentId = 'not-an-agent';
    return p;
  }),
  restoreCase('tampered: a message in flight in `awaitingInput`', (p) => {
    p.machine.context.inFlight = { turnId: 't', text: 'x', sequenceId: 0, sessionId: 's' };
    return p;
  }),
  ...(
    [
      ['`deadlineMs: -1`', { deadlineMs: -1 }],
      ["`deadlineMs: 'soon'`", { deadlineMs: 'soon' }],
      ["`reason: 'Bye'`", { reason: 'Bye' }],
    ] as const
  ).map(([bad, options]): LibraryCase => ({
    kind: 'library',
    entry: '`client.shutdown(options)`',
    bad,
    error: iae,
    unchanged: NO_DELETE,
    expect: IAE,
    setup: (h) => h.started(),
    act: (_h, s) => s.client?.shutdown(options as never),
  })),
  emulatorCase('`port: -1`', { port: -1 }),
  emulatorCase('`sessionTtlMs: 0`', { sessionTtlMs: 0 }),
  emulatorCase('`agent: 42`', { agent: 42 }),
  emulatorCase("`colour: 'red'` (unknown option)", { colour: 'red' }),
  fakeServerFlag('`--port abc`', ['--port', 'abc'], '--port'),
  fakeServerFlag('`--port 70000`', ['--port', '70000'], '--port'),
  fakeServerFlag('`--session-ttl 0`', ['--session-ttl', '0'], '--session-ttl'),
  fakeServerFlag('`--latency -5`', ['--latency', '-5'], '--latency'),
  fakeServerFlag('`--stream-chunk-delay x`', ['--stream-chunk-delay', 'x'], '--stream-chunk-delay'),
  fakeServerFlag('`--token-ttl soon`', ['--token-ttl', 'soon'], '--token-ttl'),
  fakeServerFlag('`--bogus`', ['--bogus'], '--bogus'),
  chatFlag('`--agent-id bad`', ['--agent-id', 'bad'], '--agent-id'),
  chatFlag(
    '`--my-domain http://example.com` (http, not loopback)',
    ['--my-domain', 'http://example.com'],
    '--my-domain',
  ),
  chatFlag('`--api-base ftp://x`', ['--api-base', 'ftp://x'], '--api-base'),
  chatFlag('`--var bad`', ['--var', 'bad'], '--var'),
  chatFlag('`--var x=Number:abc`', ['--var', 'x=Number:abc'], '--var'),
  chatFlag('`--var x=Boolean:yes`', ['--var', 'x=Boolean:yes'], '--var'),
  chatFlag('`--idle-timeout abc`', ['--idle-timeout', 'abc'], '--idle-timeout'),
  chatFlag('`--on-expiry retry`', ['--on-expiry', 'retry'], '--on-expiry'),
  chatFlag('`--max-restarts -1`', ['--max-restarts', '-1'], '--max-restarts'),
  chatFlag(
    '`--client-secret-file` of a missing file',
    ['--client-secret-file', '/nonexistent/secret'],
    '--client-secret-file',
  ),
  chatFlag('`--emulator-latency x`', ['--emulator-latency', 'x'], '--emulator-latency'),
  chatFlag('`--bogus`', ['--bogus'], '--bogus'),
];

/** Starts the emulator the library cases run against, and the harness over it. */
export async function startHarness(): Promise<{ harness: Harness; close: () => Promise<void> }> {
  const api = await startFakeAgentApi({ anyAgentId: true, ...CREDENTIALS, streamChunkDelayMs: 0 });
  const clients: AgentforceClient[] = [];
  const client = (options: Partial<ClientOptions> = {}) => {
    const c = new AgentforceClient({
      myDomainUrl: api.url,
      auth: clientCredentials(CREDENTIALS),
      retry: { baseDelayMs: 10, maxDelayMs: 50 },
      ...options,
    });
    clients.push(c);
    return c;
  };
  const harness: Harness = {
    api,
    client,
    started: async (options = {}, clientOptions = {}) => {
      const c = client(clientOptions);
      const session = c.session({ agentId: AGENT_ID, ...options });
      await session.start();
      return { client: c, session };
    },
  };
  return {
    harness,
    close: async () => {
      for (const c of clients) {
        await c.shutdown({ deadlineMs: 2_000 }).catch(() => undefined);
        c.close();
      }
      await api.close();
    },
  };
}

/** The rows as a markdown table (what docs/errors.md holds under `## Bad input`). */
export function renderTable(cases: readonly Row[] = CASES): string {
  const lines = ['| entry point | bad value | error | unchanged |', '| --- | --- | --- | --- |'];
  for (const c of cases) lines.push(`| ${c.entry} | ${c.bad} | ${c.error} | ${c.unchanged} |`);
  return lines.join('\n');
}
