import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeAgentApi, inform, type SessionInfo } from '../../src/fake-server/index.js';
import { checkRun } from '../../scripts/soak/checks.js';
import { inProcessEmulator } from '../../scripts/soak/emulator.js';
import { isKnownCode, Ledger } from '../../scripts/soak/ledger.js';
import { DEFAULTS, parseSoakArgs, type SoakOptions } from '../../scripts/soak/options.js';
import { runSoak, type SoakReport } from '../../scripts/soak/run.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'soak-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', 'scripts/soak.ts', ...args],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const CREDS = { clientId: 'soak-test-client', clientSecret: 'soak-test-secret' };

function small(overrides: Partial<SoakOptions> = {}): SoakOptions {
  return {
    ...DEFAULTS,
    sessions: 8,
    turns: 3,
    thinkMs: 0,
    rampMs: 0,
    tokenExpiryEveryMs: 0,
    rates: {},
    inProcess: true,
    quiet: true,
    ...overrides,
  };
}

describe('npm run soak (short)', () => {
  it('holds every promise under faults: one reply or one typed failure per message, no leak', async () => {
    const reportPath = join(dir, 'soak.json');
    const { code, stdout, stderr } = await run([
      '--sessions',
      '40',
      '--turns',
      '4',
      '--think-ms',
      '100',
      '--ramp-ms',
      '500',
      '--fault-scale',
      '2',
      '--token-expiry-every',
      '1000',
      '--report',
      reportPath,
      '--quiet',
    ]);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain('PASS (0 violations)');
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as SoakReport;
    expect(report.ok).toBe(true);
    expect(report.violations.total).toBe(0);
    expect(report.emulator).toMatch(/^child process/);
    expect(report.conversations).toBe(40);
    expect(report.messages.total).toBe(160);
    expect(report.messages.replied + report.messages.failed).toBe(160);
    expect(report.messages.replied).toBeGreaterThan(0);
    for (const code of Object.keys(report.messages.failedByCode))
      expect(isKnownCode(code)).toBe(true);
    const injected = Object.values(report.faults.injected).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThan(10);
    expect(Object.keys(report.faults.injected).length).toBeGreaterThanOrEqual(5);
    expect(report.server.openAfterTtl).toBe(0);
    expect(report.server.openAfterEnd.leaked).toBe(0);
    expect(report.server.sessions).toBeGreaterThanOrEqual(40);
    expect(report.heap.gc).toBe(true);
    expect(report.heap.enforced).toBe(true);
    expect(report.process).toEqual({ unhandledRejections: 0, uncaughtExceptions: 0 });
  }, 100_000);

  it('refuses a bad flag with exit code 2 and the usage', async () => {
    const { code, stderr } = await run(['--sessions', 'many']);
    expect(code).toBe(2);
    expect(stderr).toContain('--sessions must be an integer');
    expect(stderr).toContain('Usage: npm run soak');
  }, 30_000);
});

describe('the soak catches what it claims to catch', () => {
  it('a reply that carries another message’s text is a violation', async () => {
    // An agent that, from the second turn on, echoes the previous message instead of this one.
    const api = await startFakeAgentApi({
      anyAgentId: true,
      ...CREDS,
      streamChunkDelayMs: 0,
      agent: (turn) => {
        const previous = turn.history.at(-1)?.message;
        const text = previous?.type === 'Text' ? previous.text : turn.text;
        return [inform(`You said: "${text}".`)];
      },
    });
    try {
      const report = await runSoak(small(), inProcessEmulator(api), CREDS);
      expect(report.ok).toBe(false);
      expect(report.violations.byKind['wrong-reply']).toBe(8 * 2);
      expect(report.violations.samples[0]).toMatch(/got the reply of m\d+r\d+/);
    } finally {
      await api.close();
    }
  });

  it('a server session the soak did not open is a violation', async () => {
    const api = await startFakeAgentApi({ anyAgentId: true, ...CREDS, streamChunkDelayMs: 0 });
    try {
      const token = await fetch(`${api.url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          ...{ client_id: CREDS.clientId, client_secret: CREDS.clientSecret },
        }).toString(),
      }).then((r) => r.json() as Promise<{ access_token: string }>);
      const started = await fetch(
        `${api.url}/einstein/ai-agent/v1/agents/0XxSTRAY00000001AA/sessions`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token.access_token}`,
          },
          body: JSON.stringify({
            externalSessionKey: crypto.randomUUID(),
            instanceConfig: { endpoint: api.url },
          }),
        },
      );
      expect(started.status).toBe(200);
      const report = await runSoak(small({ sessions: 2 }), inProcessEmulator(api), CREDS);
      expect(report.ok).toBe(false);
      expect(report.violations.byKind).toEqual({ 'unknown-session': 1 });
    } finally {
      await api.close();
    }
  });

  it('a clean run with faults off answers every message', async () => {
    const api = await startFakeAgentApi({ anyAgentId: true, ...CREDS, streamChunkDelayMs: 0 });
    try {
      const report = await runSoak(small(), inProcessEmulator(api), CREDS);
      expect(report.violations).toEqual({ total: 0, byKind: {}, samples: [] });
      expect(report.messages).toMatchObject({ total: 24, replied: 24, failed: 0 });
      expect(report.server).toMatchObject({ sessions: 8, endedByClient: 8, openAfterTtl: 0 });
    } finally {
      await api.close();
    }
  });
});

describe('the checks, on recorded runs', () => {
  const session = (over: Partial<SessionInfo>): SessionInfo => ({
    sessionId: 's1',
    agentId: '0XxSOAK000000001AA',
    externalSessionKey: 'k1',
    status: 'ended',
    endReason: 'UserRequest',
    endedBy: 'client',
    sequenceIds: [],
    turns: 0,
    createdAt: 0,
    lastActivityAt: 0,
    endedAt: 0,
    inFlight: false,
    variables: {},
    feedback: [],
    ...over,
  });

  function oneConversation() {
    const ledger = new Ledger();
    const seg = ledger.addSegment(0);
    seg.keys.push('k1');
    seg.started.push({ sessionId: 's1', externalSessionKey: 'k1' });
    seg.end = { sessionId: 's1', result: 'ended' };
    for (let i = 0; i < 2; i++) {
      const m = ledger.addMessage(0, 'send', false);
      m.turnIds.push(`t${i}`);
      m.sent.push({ sessionId: 's1', sequenceId: i + 1 });
      seg.sequenceIds.push(i + 1);
      m.terminalEvents.push('completed');
      m.settled = 1;
      m.outcome = { kind: 'reply', sessionId: 's1', sequenceId: i + 1, ownReply: true };
    }
    return ledger;
  }

  it('passes a consistent run', () => {
    const ledger = oneConversation();
    checkRun(ledger, [session({ sequenceIds: [1, 2], turns: 2 })], []);
    expect(ledger.violations).toEqual([]);
  });

  it('finds a message processed twice, out of order, a lost one, a double answer and a leak', () => {
    const ledger = oneConversation();
    const [first, second] = ledger.messages;
    second!.outcome = undefined;
    second!.settled = 0;
    first!.terminalEvents.push('failed');
    const summary = checkRun(
      ledger,
      [session({ sequenceIds: [2, 1, 1], turns: 3, status: 'open', endedBy: undefined })],
      [session({ status: 'open' })],
    );
    const kinds = ledger.violations.map((v) => v.kind).sort();
    expect(kinds).toEqual([
      'answered-twice',
      'duplicate-processing',
      'duplicate-sequence',
      'leaked-session',
      'lost',
      'reply-not-processed',
      'server-sequence-order',
      'unexpired-session',
    ]);
    expect(summary.openAfterEnd).toMatchObject({ total: 1, leaked: 1 });
  });

  it('allows a session left open only when the client could not end it', () => {
    const ledger = oneConversation();
    ledger.segments[0]!.end = { sessionId: 's1', result: 'failed', code: 'timeout', typed: true };
    const summary = checkRun(
      ledger,
      [
        session({ sequenceIds: [1, 2], turns: 2, status: 'open', endedBy: undefined }),
        session({ sessionId: 's2', externalSessionKey: 'k1', status: 'open', endedBy: undefined }),
      ],
      [],
    );
    expect(ledger.violations).toEqual([]);
    expect(summary.openAfterEnd).toEqual({
      total: 2,
      startReplyLost: 1,
      endFailed: 1,
      closedOnFatalError: 0,
      leaked: 0,
    });
  });
});

describe('soak flags', () => {
  it('parses rates, routes and sizes, and refuses rates above 1 in total', () => {
    const o = parseSoakArgs([
      '--sessions',
      '5',
      '--rate',
      'status:503=0.5',
      '--routes',
      'send,token',
    ])!;
    expect(o.sessions).toBe(5);
    expect(o.rates['status:503']).toBe(0.5);
    expect(o.routes).toEqual(['send', 'token']);
    expect(parseSoakArgs(['--help'])).toBeUndefined();
    expect(() => parseSoakArgs(['--fault-scale', '10'])).toThrow(/sum to/);
    expect(() => parseSoakArgs(['--routes', 'nowhere'])).toThrow(/unknown route/);
    expect(Object.values(parseSoakArgs(['--no-faults'])!.rates).every((p) => p === 0)).toBe(true);
  });
});
