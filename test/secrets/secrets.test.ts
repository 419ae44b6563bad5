/**
 * Secrets stay secret: the main flows run with a known client secret and known tokens (the
 * emulator's, which all share one JWT header, and a distinctive fixed token), and every output
 * channel is scanned for them: console and process output, errors (message, stack, cause chain,
 * JSON, `util.inspect`), the client and auth objects, snapshots, emitted and inspection events,
 * turns and outcomes, the emulator's request record, and the CLI's stdout, stderr, `--json`
 * lines, transcript and session store, and the OpenTelemetry spans and metrics (with message
 * content capture on).
 */
import axios from 'axios';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { startFakeAgentApi, type FakeAgentApi } from '../../src/fake-server/index.js';
import {
  AgentforceClient,
  clientCredentials,
  type AgentSession,
  type ClientOptions,
} from '../../src/index.js';
import { cleanEnv, ensureBuilt, runCli, tempDir } from '../cli/helpers.js';
import { metrics, trace } from '@opentelemetry/api';
import { testSdk, useContextManager } from '../telemetry/sdk.js';

const AGENT_ID = '0XxSECRET00000001A';
const CLIENT_ID = 'secrets-client-id';
const SECRET = `sk-CANARY-${randomBytes(12).toString('hex')}`;
const WRONG_SECRET = `sk-WRONG-CANARY-${randomBytes(12).toString('hex')}`;
const URL_PASSWORD = `pw-CANARY-${randomBytes(8).toString('hex')}`;
/** The base64url JWT header every emulator token starts with. */
const EMULATOR_TOKEN_HEADER = Buffer.from(
  JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'emulator' }),
).toString('base64url');
/** A distinctive JWT-like token for the emulator that does not check tokens. */
const FIXED_TOKEN = [
  Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url'),
  Buffer.from(`{"sub":"canary-${randomBytes(6).toString('hex')}"}`).toString('base64url'),
  `SIG-CANARY-${randomBytes(10).toString('hex')}`,
].join('.');

/** Every token an auth function handed to the library. */
const issuedTokens = new Set<string>();

/** Everything the flows put out, by channel. */
const outputs: { channel: string; text: string }[] = [];

function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(value, (_key, v: unknown) => {
        if (typeof v === 'bigint') return String(v);
        if (typeof v === 'function') return `[function ${(v as { name?: string }).name ?? ''}]`;
        if (typeof v === 'object' && v !== null) {
          if (seen.has(v)) return '[circular]';
          seen.add(v);
        }
        return v;
      }) ?? ''
    );
  } catch (err) {
    return `[unserializable: ${String(err)}]`;
  }
}

function record(channel: string, value: unknown, depth = 8): void {
  if (typeof value === 'string') {
    outputs.push({ channel, text: value });
    return;
  }
  outputs.push({ channel: `${channel} (JSON)`, text: safeJson(value) });
  outputs.push({
    channel: `${channel} (inspect)`,
    text: inspect(value, { depth, showHidden: true, getters: true }),
  });
}

function recordError(channel: string, err: unknown, depth = 0): void {
  record(channel, err);
  if (err instanceof Error) {
    outputs.push({ channel: `${channel} message`, text: err.message });
    outputs.push({ channel: `${channel} stack`, text: err.stack ?? '' });
    outputs.push({ channel: `${channel} String()`, text: String(err) });
    const body = (err as { body?: unknown }).body;
    if (body !== undefined) record(`${channel} body`, body);
    if (err.cause !== undefined && depth < 5) recordError(`${channel} cause`, err.cause, depth + 1);
  }
}

/** Runs a call that must fail and records its error on every channel. */
async function failing(channel: string, f: () => unknown): Promise<Error> {
  try {
    await f();
  } catch (err) {
    recordError(channel, err);
    return err as Error;
  }
  throw new Error(`${channel}: expected a failure`);
}

function needles(): { name: string; value: string }[] {
  return [
    { name: 'client secret', value: SECRET },
    { name: 'wrong client secret', value: WRONG_SECRET },
    { name: 'password in a URL', value: URL_PASSWORD },
    { name: 'an emulator token', value: EMULATOR_TOKEN_HEADER },
    { name: 'the fixed token', value: FIXED_TOKEN },
    { name: 'the fixed token signature', value: FIXED_TOKEN.split('.')[2] ?? FIXED_TOKEN },
    ...[...issuedTokens].map((t) => ({ name: 'a token from the auth function', value: t })),
  ];
}

/** Every place a secret showed up, as `channel: what`. */
function leaks(scanned: readonly { channel: string; text: string }[] = outputs): string[] {
  const found: string[] = [];
  for (const { channel, text } of scanned) {
    for (const n of needles()) {
      const at = text.indexOf(n.value);
      if (at >= 0)
        found.push(`${channel}: ${n.name} in …${text.slice(Math.max(0, at - 60), at + 20)}…`);
    }
  }
  return found;
}

describe('secrets never leave the library', () => {
  let api: FakeAgentApi; // checks client credentials and tokens
  let open: FakeAgentApi; // takes any bearer token
  const clients: AgentforceClient[] = [];
  const restore: (() => void)[] = [];
  const inspected: InspectionEvent[] = [];

  const fast = {
    timeoutMs: 800,
    streamIdleTimeoutMs: 400,
    retry: { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 20 },
  } satisfies Partial<ClientOptions>;

  function client(options: Partial<ClientOptions> = {}, on = api): AgentforceClient {
    const c = new AgentforceClient({
      myDomainUrl: on.url,
      apiBaseUrl: on.url, // never the default Salesforce host: no request leaves loopback
      auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: SECRET }),
      inspect: (ev) => inspected.push(ev),
      ...fast,
      ...options,
    });
    clients.push(c);
    return c;
  }

  function watch(session: AgentSession): AgentSession {
    session.on('*', (e) => record('emitted event', e));
    return session;
  }

  const telemetry = testSdk();

  beforeAll(async () => {
    // Every client of these flows reports to a registered SDK, with message content recorded.
    useContextManager();
    trace.setGlobalTracerProvider(telemetry.tracerProvider);
    metrics.setGlobalMeterProvider(telemetry.meterProvider);
    process.env['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT'] = 'true';
    restore.push(() => {
      delete process.env['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT'];
      trace.disable();
      metrics.disable();
    });
    api = await startFakeAgentApi({
      anyAgentId: true,
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      streamChunkDelayMs: 0,
    });
    open = await startFakeAgentApi({ anyAgentId: true, requireAuth: false, streamChunkDelayMs: 0 });
    // Console and process output, recorded while the flows run.
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      stream.write = (chunk: unknown, ...rest: never[]) => {
        outputs.push({ channel: 'process output', text: String(chunk) });
        return write(chunk as string, ...rest);
      };
      restore.push(() => (stream.write = write));
    }
    for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      const original = console[level].bind(console);
      console[level] = (...args: unknown[]) => {
        outputs.push({
          channel: `console.${level}`,
          text: args.map((a) => inspect(a, { depth: 6 })).join(' '),
        });
        original(...args);
      };
      restore.push(() => (console[level] = original));
    }
  });

  afterAll(async () => {
    for (const undo of restore) undo();
    for (const c of clients) c.close();
    await api?.close();
    await open?.close();
  });

  it('the conversation flows: start, send, question, stream, expiry and restart, 401 refresh, end, restore, shutdown', async () => {
    const c = client();
    const s = watch(c.session({ agentId: AGENT_ID }));
    record('turn', await s.start());
    const question = await s.send('where is my order?');
    record('turn', question);
    record('turn', await s.send('00012345', { inReplyToMessageId: question.question?.id }));
    api.faults.next('stream', { validationFailure: true });
    const reply = s.stream('tell me about the return policy');
    for await (const ev of reply) record('stream event', ev);
    record('turn', await reply.turn);
    record('snapshot', s.snapshot());

    api.expireSession(s.sessionId ?? '');
    record('turn', await s.send('are you still there?'));
    api.clock.advance(31 * 60_000); // every token expires: 401, refresh, repeat
    record('turn', await s.send('after the token expired'));
    expect(api.requests.some((r) => r.status === 401)).toBe(true);

    const persisted = s.snapshot();
    record('snapshot', persisted);
    s.stop();
    const restored = watch(c.restore(JSON.parse(JSON.stringify(persisted))));
    record('turn', await restored.send('from the restored session'));
    record('outcome', await restored.end());

    const many = [watch(c.session({ agentId: AGENT_ID })), watch(c.session({ agentId: AGENT_ID }))];
    await Promise.all(many.map((m) => m.start()));
    record('shutdown', await c.shutdown({ deadlineMs: 2_000, reason: 'Transfer' }));
    record('client', c);
    record('session', restored);
  });

  it('errors of every kind', async () => {
    const c = client();
    const s = watch(c.session({ agentId: AGENT_ID }));
    await s.start();
    const kinds: [string, Parameters<FakeAgentApi['faults']['next']>[1], number][] = [
      ['service_unavailable', { status: 503, retryAfter: 0 }, 2],
      ['rate_limited', { status: 429, retryAfter: 0 }, 2],
      ['session_busy', { status: 423 }, 2],
      ['server_error', { status: 500 }, 1],
      ['connection', { drop: 'before' }, 1],
      ['connection', { drop: 'after' }, 1],
      ['timeout', { delayMs: 1_500 }, 1],
      ['malformed_response', { malformed: true }, 1],
    ];
    for (const [code, fault, times] of kinds) {
      api.faults.next('send', fault, { times });
      const err = await failing(`send error ${code}`, () => s.send(`this one fails: ${code}`));
      expect((err as { code?: string }).code).toBe(code);
    }
    for (const [code, fault] of [
      ['server_error', { streamError: true }],
      ['stream_idle_timeout', { stall: true }],
      ['connection', { dropMidStream: true }],
    ] as const) {
      api.faults.next('stream', fault);
      const err = await failing(
        `stream error ${code}`,
        () => s.stream(`stream fails: ${code}`).turn,
      );
      expect((err as { code?: string }).code).toBe(code);
    }
    // Fatal ones, each on a session of its own.
    for (const [code, fault] of [
      ['bad_request', { status: 400 }],
      ['permission_denied', { status: 403 }],
      ['unprocessable', { status: 422 }],
      ['authentication', { status: 401 }],
    ] as const) {
      const fatal = watch(c.session({ agentId: AGENT_ID }));
      await fatal.start();
      api.faults.next('send', fault, { times: code === 'authentication' ? 2 : 1 });
      const err = await failing(`fatal ${code}`, () => fatal.send('this one is refused'));
      expect((err as { code?: string }).code).toBe(code);
      record('outcome', fatal.outcome);
    }
    const closing = watch(c.session({ agentId: AGENT_ID, onExpiry: 'close' }));
    await closing.start();
    api.faults.next('send', { sessionNotFound: true });
    await failing('expired', () => closing.send('too late'));
    api.faults.next('end', { status: 503 }, { times: 2 });
    await failing('end failed', () => s.end());

    // Refused credentials, a wrong host, nothing listening, a URL with a password.
    const wrong = client({
      auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: WRONG_SECRET }),
    });
    const refused = await failing('wrong secret', () =>
      wrong.session({ agentId: AGENT_ID }).start(),
    );
    expect((refused as { code?: string }).code).toBe('authentication');
    const lost = client({ apiBaseUrl: `${api.url}/nowhere` });
    await failing('wrong host', () => lost.session({ agentId: AGENT_ID }).send('hello?'));
    const nobody = client({ myDomainUrl: 'http://127.0.0.1:1' });
    await failing('connection refused', () => nobody.session({ agentId: AGENT_ID }).start());
    for (const url of [
      `http://user:${URL_PASSWORD}@example.com`,
      `https://user:${URL_PASSWORD}@example.com`,
    ]) {
      await failing('bad url', () => client({ myDomainUrl: url }));
    }
    record('client', wrong);
    expect(api.faults.pending).toEqual([]);
  });

  it('an auth function, and a fixed token', async () => {
    const viaFunction = client({
      apiBaseUrl: api.url,
      auth: async () => {
        const res = await fetch(`${api.url}/services/oauth2/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: CLIENT_ID,
            client_secret: SECRET,
          }),
        });
        const token = ((await res.json()) as { access_token: string }).access_token;
        issuedTokens.add(token);
        return { accessToken: token };
      },
    });
    const s = watch(viaFunction.session({ agentId: AGENT_ID }));
    record('turn', await s.start());
    api.clock.advance(31 * 60_000);
    record('turn', await s.send('after the token expired'));
    api.faults.next('send', { status: 401 }, { times: 2 });
    await failing('function auth refused', () => s.send('refused twice'));
    expect(issuedTokens.size).toBeGreaterThanOrEqual(2);

    const fixed = client({ auth: FIXED_TOKEN }, open);
    const f = watch(fixed.session({ agentId: AGENT_ID }));
    record('turn', await f.start());
    record('turn', await f.send('hello with a fixed token'));
    const reply = f.stream('stream with a fixed token');
    for await (const ev of reply) record('stream event', ev);
    record('turn', await reply.turn);
    open.faults.next('send', { status: 503 }, { times: 2 });
    await failing('fixed token error', () => f.send('fails'));
    record('snapshot', f.snapshot());
    record('outcome', await f.end());
    record('client', fixed);
  });

  it('auth providers keep the secret to themselves', () => {
    const provider = clientCredentials({ clientId: CLIENT_ID, clientSecret: SECRET });
    record('provider', provider);
    outputs.push({
      channel: 'provider (inspect, no custom)',
      text: inspect(provider, { customInspect: false, showHidden: true, depth: 5 }),
    });
    outputs.push({ channel: 'provider (entries)', text: safeJson(Object.entries(provider)) });
    outputs.push({ channel: 'provider (getToken source)', text: provider.getToken.toString() });
  });

  it('the CLI: chat --json, --stream, --transcript, and the start/send/end store', async () => {
    ensureBuilt();
    const home = tempDir('afs-secrets-');
    try {
      const secretFile = join(home.dir, 'secret');
      writeFileSync(secretFile, `${SECRET}\n`);
      const transcript = join(home.dir, 'chat.jsonl');
      const common = ['--my-domain', api.url, '--agent-id', AGENT_ID, '--client-id', CLIENT_ID];
      const env = cleanEnv(home.dir);
      const runs = [
        await runCli(
          [
            'chat',
            '--json',
            '--transcript',
            transcript,
            ...common,
            '--client-secret-file',
            secretFile,
          ],
          {
            env,
            input: 'where is my order?\n00012345\nI want a human\n',
          },
        ),
        await runCli(['chat', '--json', '--stream', '--transcript', transcript, ...common], {
          env: cleanEnv(home.dir, { SF_CLIENT_SECRET: SECRET }),
          input: 'hello\nwhat is the return policy?\n',
        }),
        await runCli(['chat', ...common], {
          env: cleanEnv(home.dir, { SF_CLIENT_SECRET: SECRET }),
          input: 'hello\n',
        }),
      ];
      writeFileSync(join(home.dir, 'wrong'), WRONG_SECRET);
      runs.push(
        await runCli(
          ['chat', '--json', ...common, '--client-secret-file', join(home.dir, 'wrong')],
          {
            env,
            input: 'hello\n',
          },
        ),
      );
      const started = await runCli(['start', ...common, '--client-secret-file', secretFile], {
        env,
      });
      runs.push(started);
      const handle = started.stdout.trim();
      runs.push(
        await runCli(
          [
            'send',
            '--session',
            handle,
            '--json',
            '--client-secret-file',
            secretFile,
            'hello',
            'there',
          ],
          { env },
        ),
      );
      runs.push(await runCli(['sessions', '--json'], { env }));
      runs.push(
        await runCli(['end', '--session', handle, '--client-secret-file', secretFile], { env }),
      );
      expect(runs[0]?.code, runs[0]?.stderr).toBe(0);
      expect(runs[1]?.code, runs[1]?.stderr).toBe(0);
      expect(runs.at(-5)?.code, runs.at(-5)?.stderr).not.toBe(0); // the wrong secret is refused
      expect(started.code, started.stderr).toBe(0);
      for (const [i, r] of runs.entries()) {
        outputs.push({ channel: `cli run ${i} stdout`, text: r.stdout });
        outputs.push({ channel: `cli run ${i} stderr`, text: r.stderr });
      }
      const files = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? files(path) : [path];
        });
      const written = files(home.dir).filter((p) => p !== secretFile && !p.endsWith('/wrong'));
      expect(written).toContain(transcript);
      expect(readFileSync(transcript, 'utf8').length).toBeGreaterThan(100);
      for (const path of written)
        outputs.push({
          channel: `file ${path.slice(home.dir.length)}`,
          text: readFileSync(path, 'utf8'),
        });
    } finally {
      home.cleanup();
    }
  }, 120_000);

  it('no channel holds a secret or a token', async () => {
    // The emulator's own record of every request, as the tests and the control API see it.
    record('emulator request record', api.requests);
    record('emulator request record', open.requests);
    record('emulator sessions', api.sessions());
    for (const ev of inspected) record(`inspection ${ev.type}`, ev, 3);
    // The spans and metrics, as an exporter would send them.
    const spans = telemetry.spans();
    for (const span of spans) {
      const { name, attributes, events, links, status } = span;
      record(`span ${name}`, { name, attributes, events, links, status }, 6);
    }
    expect(spans.filter((s) => s.name === 'invoke_agent').length).toBeGreaterThan(20);
    expect(spans.some((s) => typeof s.attributes['gen_ai.input.messages'] === 'string')).toBe(true);
    for (const metric of ['gen_ai.client.operation.duration', 'agentforce.retries'])
      record(`metric ${metric}`, await telemetry.points(metric), 6);
    expect(inspected.length).toBeGreaterThan(100);
    // The scan finds what it looks for: the emulator's tokens went over the wire as Bearer headers.
    expect(api.requests.some((r) => r.headers['authorization'] === 'Bearer [REDACTED]')).toBe(true);
    expect(outputs.length).toBeGreaterThan(500);
    // The scan itself finds what it looks for, e.g. in a raw axios error, which holds the
    // request's headers (what the library never keeps).
    const raw = await axios
      .get(`${api.url}/einstein/ai-agent/v1/nowhere`, {
        headers: { authorization: `Bearer ${[...issuedTokens][0] ?? ''}` },
      })
      .catch((err: unknown) => err);
    expect(
      leaks([{ channel: 'control', text: inspect(raw, { depth: 4 }) }]).length,
    ).toBeGreaterThan(0);
    for (const n of needles())
      expect(leaks([{ channel: 'control', text: `a${n.value}b` }]).length).toBeGreaterThan(0);
    expect(leaks()).toEqual([]);
  });
});
