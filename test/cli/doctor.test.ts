/**
 * `agentforce-session doctor` as a process, against emulators set up the way a real org goes
 * wrong: each case names the step that must fail first, the diagnosis and the exit code (written
 * here from docs/real-org.md and docs/cli.md, not read from the code).
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startFakeAgentApi,
  type FakeAgentApi,
  type FakeAgentApiOptions,
} from '../../src/fake-server/index.js';
import type { Fault, FaultRoute } from '../../src/fake-server/index.js';
import { cleanEnv, ensureBuilt, runCli, tempDir } from './helpers.js';

const CLIENT_ID = 'doctor-test-client';
const SECRET = 'doctor-test-secret-7f3a9c';
const SERVICE = '0XxEMULATOR0000001';

const STEPS = [
  'config',
  'my-domain',
  'reachable',
  'token',
  'jwt',
  'scopes',
  'api-host',
  'agent',
  'start',
  'send',
  'end',
];

interface Report {
  ok: boolean;
  steps: Array<{ step: string; status: string; found: string; diagnosis?: string }>;
  diagnosis: { id: string; step: string; fix: string } | null;
  exitCode: number;
}

let home: { dir: string; cleanup: () => void };
const apis: FakeAgentApi[] = [];

beforeAll(() => {
  ensureBuilt();
  home = tempDir('afs-doctor-');
}, 180_000);

afterAll(async () => {
  await Promise.all(apis.map((a) => a.close()));
  home.cleanup();
});

async function emulator(
  options: FakeAgentApiOptions = {},
  faults: Array<[FaultRoute, Fault, number?]> = [],
): Promise<FakeAgentApi> {
  const api = await startFakeAgentApi({
    port: 0,
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    ...options,
  });
  apis.push(api);
  for (const [route, fault, times] of faults) api.faults.next(route, fault, { times: times ?? 1 });
  return api;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function doctor(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; report: Report; stderr: string }> {
  const r = await runCli(['doctor', '--json', ...args], {
    env: cleanEnv(home.dir, { SF_CLIENT_ID: CLIENT_ID, SF_CLIENT_SECRET: SECRET, ...env }),
    timeoutMs: 60_000,
  });
  const lines = r.stdout.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stdout).not.toContain(SECRET);
  return { code: r.code, report: JSON.parse(lines[0]!) as Report, stderr: r.stderr };
}

/**
 * Every step before `step` passed (but `send`, skipped without --send), `step` failed with `id`,
 * every step after was skipped.
 */
function expectFirstFailure(report: Report, step: string, id: string, sent: boolean): void {
  const at = STEPS.indexOf(step);
  const before = (s: string) => (s === 'send' && !sent ? 'skip' : 'pass');
  expect(report.steps.map((s) => s.step)).toEqual(STEPS);
  expect(report.steps.map((s) => s.status)).toEqual(
    STEPS.map((s, i) => (i < at ? before(s) : i === at ? 'fail' : 'skip')),
  );
  expect(report.steps[at]!.diagnosis).toBe(id);
  expect(report.ok).toBe(false);
  expect(report.diagnosis).toMatchObject({ id, step });
  expect(report.diagnosis!.fix.length).toBeGreaterThan(10);
}

describe('doctor', { timeout: 90_000 }, () => {
  it('passes every step against the embedded emulator', async () => {
    const r = await runCli(['doctor', '--emulator', '--send', 'hello'], {
      env: cleanEnv(home.dir),
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    // One ✓ line per step, then the verdict.
    expect(lines.slice(0, 11).every((l) => l.startsWith('✓ '))).toBe(true);
    expect(lines[0]).toMatch(
      /^✓ configuration +the embedded emulator at http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(lines[7]).toContain('Customer_Support (0XxEMULATOR0000001)');
    expect(lines[7]).toContain('bypassUser true');
    expect(lines[9]).toContain('You said: "hello"');
    expect(lines[10]).toContain('ended (UserRequest)');
    expect(lines.at(-1)).toBe('Every step passed.');
  });

  it('passes every step against an emulator run as an org, and ends the session it opened', async () => {
    const api = await emulator();
    const { code, report } = await doctor([
      '--my-domain',
      api.url,
      '--agent-id',
      SERVICE,
      '--send',
      'hi',
    ]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.diagnosis).toBeNull();
    expect(report.steps.map((s) => s.status)).toEqual(STEPS.map(() => 'pass'));
    const starts = api.requests.filter((q) => q.route === 'start').length;
    const ends = api.requests.filter((q) => q.route === 'end' && q.status === 200).length;
    expect([starts, ends]).toEqual([1, 1]);
  });

  it('finds the agent by its API name', async () => {
    const api = await emulator();
    const { code, report } = await doctor([
      '--my-domain',
      api.url,
      '--agent-name',
      'Customer_Support',
    ]);
    expect(code).toBe(0);
    expect(report.steps.find((s) => s.step === 'agent')!.found).toContain(SERVICE);
    expect(report.steps.find((s) => s.step === 'send')!.status).toBe('skip');
  });

  it('prints the fix of the first failure in a checklist', async () => {
    const api = await emulator({ tokenFormat: 'opaque' });
    const r = await runCli(['doctor', '--my-domain', api.url, '--agent-id', SERVICE], {
      env: cleanEnv(home.dir, { SF_CLIENT_ID: CLIENT_ID, SF_CLIENT_SECRET: SECRET }),
    });
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/^✓ token request +issued\n/m);
    expect(r.stdout).toMatch(/^✗ token is a JWT +an opaque token of \d+ characters$/m);
    expect(r.stdout).toMatch(/^· scopes +not run: an earlier step failed$/m);
    expect(r.stdout).toContain(
      'Fix (token-not-jwt): in the app’s OAuth settings, turn on Issue JSON Web Token (JWT)-based access tokens for named users',
    );
  });

  // [what, emulator options, faults, extra args, env, failing step, diagnosis, exit code]
  type Case = {
    what: string;
    options?: FakeAgentApiOptions;
    faults?: Array<[FaultRoute, Fault, number?]>;
    args?: (api: FakeAgentApi) => Promise<string[]> | string[];
    env?: Record<string, string>;
    step: string;
    id: string;
    exit: number;
  };
  const viaEmulator =
    (extra: string[] = [], agentId = SERVICE) =>
    (api: FakeAgentApi) => ['--my-domain', api.url, '--agent-id', agentId, ...extra];
  const unknownAgentBody =
    '500 [{"message":"An unexpected error occurred. Please include this ErrorId if you contact support: 1234","errorCode":"UNKNOWN_EXCEPTION"}]';

  const cases: Case[] = [
    {
      what: 'a malformed agent id',
      args: () => ['--my-domain', 'http://127.0.0.1:9', '--agent-id', 'nope'],
      step: 'config',
      id: 'config-invalid',
      exit: 2,
    },
    {
      what: 'a Lightning URL',
      args: () => ['--my-domain', 'https://acme.lightning.force.com', '--agent-id', SERVICE],
      step: 'my-domain',
      id: 'my-domain-lightning',
      exit: 4,
    },
    {
      what: 'the login host',
      args: () => ['--my-domain', 'https://login.salesforce.com', '--agent-id', SERVICE],
      step: 'my-domain',
      id: 'my-domain-login-host',
      exit: 4,
    },
    {
      what: 'the API host as My Domain',
      args: () => ['--my-domain', 'https://api.salesforce.com', '--agent-id', SERVICE],
      step: 'my-domain',
      id: 'my-domain-api-host',
      exit: 4,
    },
    {
      what: 'nothing listening',
      args: async () => [
        '--my-domain',
        `http://127.0.0.1:${await closedPort()}`,
        '--agent-id',
        SERVICE,
      ],
      step: 'reachable',
      id: 'my-domain-unreachable',
      exit: 4,
    },
    {
      what: 'an unknown consumer key',
      args: viaEmulator(),
      env: { SF_CLIENT_ID: 'someone-else' },
      step: 'token',
      id: 'token-invalid-client-id',
      exit: 3,
    },
    {
      what: 'a wrong consumer secret',
      args: viaEmulator(),
      env: { SF_CLIENT_SECRET: 'wrong' },
      step: 'token',
      id: 'token-invalid-client',
      exit: 3,
    },
    {
      what: 'no Run As user',
      faults: [
        [
          'token',
          {
            status: 400,
            body: {
              error: 'invalid_grant',
              error_description: 'no client credentials user enabled',
            },
          },
        ],
      ],
      args: viaEmulator(),
      step: 'token',
      id: 'token-no-run-as-user',
      exit: 3,
    },
    {
      what: 'Maximum Logins Exceeded',
      faults: [
        [
          'token',
          {
            status: 400,
            body: { error: 'invalid_grant', error_description: 'Maximum Logins Exceeded' },
          },
        ],
      ],
      args: viaEmulator(),
      step: 'token',
      id: 'token-max-logins',
      exit: 3,
    },
    {
      what: 'another invalid_grant',
      faults: [['token', { status: 400 }]],
      args: viaEmulator(),
      step: 'token',
      id: 'token-invalid-grant',
      exit: 3,
    },
    {
      what: 'unsupported_grant_type',
      faults: [
        [
          'token',
          {
            status: 400,
            body: {
              error: 'unsupported_grant_type',
              error_description: 'grant type not supported',
            },
          },
        ],
      ],
      args: viaEmulator(),
      step: 'token',
      id: 'token-unsupported-grant',
      exit: 3,
    },
    {
      what: 'login rate exceeded',
      faults: [
        [
          'token',
          {
            status: 400,
            body: { error: 'invalid_grant', error_description: 'login rate exceeded' },
          },
        ],
      ],
      args: viaEmulator(),
      step: 'token',
      id: 'token-rate-limited',
      exit: 3,
    },
    {
      what: 'a 429 from the token endpoint',
      faults: [['token', { status: 429 }, 5]],
      args: viaEmulator(),
      step: 'token',
      id: 'token-rate-limited',
      exit: 3,
    },
    {
      what: 'an inactive org',
      faults: [['token', { status: 403 }]],
      args: viaEmulator(),
      step: 'token',
      id: 'token-refused',
      exit: 3,
    },
    {
      what: 'a page that is not OAuth',
      faults: [['token', { status: 404, body: '<html>URL No Longer Exists</html>' }]],
      args: viaEmulator(),
      step: 'token',
      id: 'token-endpoint-not-found',
      exit: 4,
    },
    {
      what: 'opaque tokens',
      options: { tokenFormat: 'opaque' },
      args: viaEmulator(),
      step: 'jwt',
      id: 'token-not-jwt',
      exit: 4,
    },
    {
      what: 'no api scope',
      options: { scope: 'sfap_api chatbot_api' },
      args: viaEmulator(),
      step: 'scopes',
      id: 'scope-missing',
      exit: 4,
    },
    {
      what: 'a My Domain as API host',
      args: viaEmulator(['--api-base', 'https://acme.my.salesforce.com']),
      step: 'api-host',
      id: 'api-host-my-domain',
      exit: 4,
    },
    {
      what: 'a refused agent query',
      faults: [
        [
          'query',
          {
            status: 403,
            body: [{ message: 'insufficient access', errorCode: 'INSUFFICIENT_ACCESS' }],
          },
        ],
      ],
      args: viaEmulator(),
      step: 'agent',
      id: 'agent-lookup-failed',
      exit: 4,
    },
    {
      what: 'an agent id of no agent',
      args: viaEmulator([], '0XxNOSUCHAGENT1'),
      step: 'agent',
      id: 'agent-not-found',
      exit: 4,
    },
    {
      what: 'an API name of no agent',
      args: (api) => ['--my-domain', api.url, '--agent-name', 'No_Such_Agent'],
      step: 'agent',
      id: 'agent-not-found',
      exit: 4,
    },
    {
      what: 'the Agent API knows no such agent',
      faults: [
        ['start', { status: 500, error: 'HttpServerErrorException', message: unknownAgentBody }],
      ],
      args: viaEmulator(),
      step: 'start',
      id: 'agent-unknown',
      exit: 4,
    },
    {
      what: 'another My Domain as endpoint',
      options: { myDomainUrl: 'https://acme.my.salesforce.com' },
      args: viaEmulator(),
      step: 'start',
      id: 'endpoint-mismatch',
      exit: 4,
    },
    {
      what: 'an agent the app is not attached to',
      args: viaEmulator([], '0XxUNATTACHED00004'),
      step: 'start',
      id: 'agent-not-attached',
      exit: 4,
    },
    {
      what: 'an inactive agent',
      args: viaEmulator([], '0XxINACTIVE0000003'),
      step: 'start',
      id: 'agent-inactive',
      exit: 4,
    },
    {
      what: 'an Employee agent with bypassUser true',
      args: viaEmulator([], '0XxEMPLOYEE0000002'),
      step: 'start',
      id: 'employee-bypass-user',
      exit: 4,
    },
    {
      what: 'a 404 with an empty body',
      faults: [['start', { status: 404, body: '' }]],
      args: viaEmulator(),
      step: 'start',
      id: 'start-not-found',
      exit: 4,
    },
    {
      what: 'a 401 with a fresh token',
      faults: [['start', { status: 401 }, 2]],
      args: viaEmulator(),
      step: 'start',
      id: 'start-unauthorized',
      exit: 3,
    },
    {
      what: 'an unknown body field',
      faults: [['start', { status: 400, message: 'Unrecognized field "userId"' }]],
      args: viaEmulator(),
      step: 'start',
      id: 'start-refused',
      exit: 4,
    },
    {
      what: 'nothing listening on the API host',
      args: async (api) =>
        viaEmulator(['--api-base', `http://127.0.0.1:${await closedPort()}`])(api),
      step: 'start',
      id: 'api-unreachable',
      exit: 4,
    },
    {
      what: 'a server error at start',
      faults: [['start', { status: 502 }, 5]],
      args: viaEmulator(),
      step: 'start',
      id: 'start-failed',
      exit: 5,
    },
    {
      what: 'a failed message',
      faults: [['send', { status: 500 }]],
      args: viaEmulator(['--send', 'hi']),
      step: 'send',
      id: 'send-failed',
      exit: 5,
    },
    {
      what: 'a failed end',
      faults: [['end', { status: 400 }]],
      args: viaEmulator(),
      step: 'end',
      id: 'end-failed',
      exit: 5,
    },
  ];

  it.concurrent.each(cases)('names the fix of $what ($id)', async (c) => {
    const api = await emulator(c.options, c.faults);
    const args = c.args ? await c.args(api) : [];
    const { code, report } = await doctor(args, c.env);
    expectFirstFailure(report, c.step, c.id, args.includes('--send'));
    expect(code).toBe(c.exit);
    expect(report.exitCode).toBe(c.exit);
    // Nothing left behind: every session the doctor opened is ended.
    const opened = api.requests.filter((q) => q.route === 'start' && q.status === 200).length;
    const ended = api.requests.filter((q) => q.route === 'end').length;
    expect(ended).toBeGreaterThanOrEqual(opened);
  });
});
