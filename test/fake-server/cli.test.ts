import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_PATH, apiPaths } from '../../src/api/index.js';
import { InvalidArgumentError } from 'commander';
import {
  parseAgent,
  parseDuration,
  parseMillis,
  parsePort,
} from '../../src/cli/commands/fake-server.js';
import { decodeTokenClaims } from '../../src/fake-server/index.js';
import { AGENT_ID, call, jsonHeaders, startBody } from './helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'dist/src/cli/main.js');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Whether dist lacks or predates a source file the CLI runs. */
function distIsStale(): boolean {
  const cliEntry = [join(root, 'src/cli/main.ts')];
  const commands = readdirSync(join(root, 'src/cli/commands'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(root, 'src/cli/commands', f));
  const sources = [
    ...cliEntry,
    ...commands,
    ...['src/fake-server', 'src/api'].flatMap((d) => tsFiles(join(root, d))),
  ];
  return sources.some((src) => {
    const out = join(root, 'dist', relative(root, src)).replace(/\.ts$/, '.js');
    return !existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs;
  });
}

interface Running {
  child: ChildProcessWithoutNullStreams;
  url: string;
  exit: Promise<number | null>;
}

const children: ChildProcessWithoutNullStreams[] = [];

function run(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [bin, 'fake-server', ...args], {
    env: { ...process.env, ...env },
  });
  children.push(child);
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolveRun, reject) => {
    const lines = createInterface({ input: child.stdout });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    lines.once('line', (line) => {
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (m?.[1]) resolveRun({ child, url: m[1], exit });
      else reject(new Error(`unexpected first line: ${line}`));
    });
    void exit.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
}

function runToExit(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [bin, 'fake-server', ...args]);
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

/** A port free right now (bound and released). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** This machine's first IPv4 address that is not loopback, if any. */
function outsideAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
}

async function token(url: string, id = 'a', secret = 'b') {
  return call(url + TOKEN_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}`,
  });
}

describe('fake-server flag parsers', () => {
  it('parse durations, ports and milliseconds, and reject the rest as usage errors', () => {
    expect(parseDuration('1500')).toBe(1500);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    for (const bad of ['', 'soon', '-1s', '10 days', '1e3']) {
      expect(() => parseDuration(bad)).toThrow(InvalidArgumentError);
    }
    expect(parsePort('0')).toBe(0);
    expect(parsePort('8080')).toBe(8080);
    for (const bad of ['abc', '-1', '70000', '80.5'])
      expect(() => parsePort(bad)).toThrow(InvalidArgumentError);
    expect(parseMillis('0')).toBe(0);
    expect(parseMillis('25')).toBe(25);
    for (const bad of ['-5', '1.5', 'x'])
      expect(() => parseMillis(bad)).toThrow(InvalidArgumentError);
    expect(parseAgent('0XxA0000000000001A:Helper:employee:inactive')).toEqual([
      {
        id: '0XxA0000000000001A',
        developerName: 'Helper',
        label: 'Helper',
        type: 'employee',
        active: false,
      },
    ]);
    for (const bad of ['0Xx1:Helper', '0XxA0000000000001A', '0XxA0000000000001A:Helper:robot'])
      expect(() => parseAgent(bad)).toThrow(InvalidArgumentError);
  });
});

describe('agentforce-session fake-server (CLI)', () => {
  beforeAll(() => {
    if (!distIsStale()) return;
    // Type errors elsewhere in the tree do not stop tsc from emitting; check the outputs instead.
    spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: root,
        stdio: 'ignore',
      },
    );
    expect(existsSync(bin)).toBe(true);
  }, 180_000);

  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('prints the listening line, answers, and exits 0 on SIGTERM', async () => {
    const { child, url, exit } = await run(['--port', '0']);
    const t = await token(url);
    expect(t.status).toBe(200);
    expect(t.body.instance_url).toBe(url);
    const s = await call(url + apiPaths.status(), {
      headers: jsonHeaders(t.body.access_token as string),
    });
    expect(s.body).toEqual({ status: 'UP' });
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('exits 0 on SIGINT', async () => {
    const { child, exit } = await run([]);
    child.kill('SIGINT');
    expect(await exit).toBe(0);
  });

  it('applies the flags', async () => {
    const { child, url, exit } = await run([
      '--host',
      '127.0.0.1',
      '--session-ttl',
      '30s',
      '--latency',
      '0',
      '--strict-sequence',
      '--stream-chunk-delay',
      '0',
      '--token-ttl',
      '1m',
    ]);
    const t = await token(url);
    const claims = decodeTokenClaims(t.body.access_token as string)!;
    expect((claims.exp as number) - (claims.iat as number)).toBe(60);
    const headers = jsonHeaders(t.body.access_token as string);
    const start = await call(url + apiPaths.startSession(AGENT_ID), {
      method: 'POST',
      headers,
      body: JSON.stringify(startBody({ instanceConfig: { endpoint: url } })),
    });
    const sid = start.body.sessionId as string;
    const msg = (sequenceId: number) =>
      call(url + apiPaths.messages(sid), {
        method: 'POST',
        headers,
        body: JSON.stringify({ message: { type: 'Text', sequenceId, text: 'hi' } }),
      });
    expect((await msg(2)).status).toBe(200);
    expect((await msg(2)).status).toBe(400); // strict sequence
    await call(`${url}/__emulator/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ms: 30_000 }),
    });
    const sessions = await call(`${url}/__emulator/sessions`);
    expect(sessions.body.sessions[0].status).toBe('expired');
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('knows the agents of --agent, and --token-format opaque gives tokens the Agent API answers 404', async () => {
    const { child, url, exit } = await run([
      '--agent',
      '0XxADDED00000001AA:Added_Agent:employee',
      '--agent',
      '0XxOFF0000000001AA:Off_Agent:inactive',
      '--token-format',
      'opaque',
    ]);
    const agents = await call(`${url}/__emulator/agents`);
    const added = (agents.body.agents as { developerName: string; type: string; active: boolean }[])
      .filter((a) => ['Added_Agent', 'Off_Agent'].includes(a.developerName))
      .map((a) => [a.developerName, a.type, a.active]);
    expect(added).toEqual([
      ['Added_Agent', 'employee', true],
      ['Off_Agent', 'service', false],
    ]);
    const t = await token(url);
    expect(t.body.access_token).not.toContain('.');
    const start = await call(url + apiPaths.startSession('0XxADDED00000001AA'), {
      method: 'POST',
      headers: jsonHeaders(t.body.access_token as string),
      body: JSON.stringify(startBody({ instanceConfig: { endpoint: url }, bypassUser: false })),
    });
    expect([start.status, start.text]).toEqual([404, '']);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('takes client credentials from the environment only', async () => {
    const { child, url, exit } = await run([], {
      FAKE_SERVER_CLIENT_ID: 'env-id',
      FAKE_SERVER_CLIENT_SECRET: 'env-secret',
    });
    const wrong = await token(url, 'env-id', 'other');
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({
      error: 'invalid_client',
      error_description: 'invalid client credentials',
    });
    expect((await token(url, 'env-id', 'env-secret')).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('with --public-url hands that URL out in tokens and links, and a client using it converses', async () => {
    const port = await freePort();
    const publicUrl = `http://localhost:${port}`;
    const { child, url, exit } = await run([
      '--host',
      '0.0.0.0',
      '--port',
      String(port),
      '--public-url',
      `${publicUrl}/`,
    ]);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const t = await token(url);
    expect(t.body.instance_url).toBe(publicUrl);
    expect(t.body.api_instance_url).toBe(publicUrl);
    const start = await call(url + apiPaths.startSession(AGENT_ID), {
      method: 'POST',
      headers: jsonHeaders(t.body.access_token as string),
      body: JSON.stringify(startBody({ instanceConfig: { endpoint: publicUrl } })),
    });
    expect(start.status).toBe(200);
    expect((start.body._links as { messages: { href: string } }).messages.href).toMatch(
      new RegExp(`^${publicUrl}/einstein/ai-agent/v1/sessions/`),
    );
    // Bound on every interface: reachable from another host of the network too.
    const outside = outsideAddress();
    if (outside) expect((await token(`http://${outside}:${port}`)).status).toBe(200);
    // A client (the CLI) that knows only the public URL converses through it.
    const chat = spawnSync(process.execPath, [bin, 'chat', '--my-domain', publicUrl], {
      input: 'hi\n',
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env['PATH'] ?? '', HOME: root, NO_COLOR: '1' },
    });
    expect(chat.status, chat.stderr).toBe(0);
    expect(chat.stdout).toMatch(/You said: "hi"/);
    const sessions = await call(`${url}/__emulator/sessions`);
    expect(sessions.body.sessions).toHaveLength(2);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('exits 2 with a usage error for bad flags', async () => {
    const cases = [
      ['--public-url', 'http://emulator:8080/path'],
      ['--port', 'abc'],
      ['--latency', '-5'],
      ['--session-ttl', 'forever'],
      ['--bogus'],
    ];
    const results = await Promise.all(cases.map((args) => runToExit(args)));
    results.forEach((r, i) => {
      expect(r.code, cases[i]!.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/error:/);
      expect(r.stdout).toBe('');
    });
  });
});
