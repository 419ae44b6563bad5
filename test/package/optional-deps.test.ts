/**
 * `ioredis` and `@statelyai/inspect` are optional peer dependencies: the packed package, installed
 * without them, imports, converses (library and CLI), and names the package to install when the
 * Redis store or the inspector is used.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ensureBuilt, ROOT, tempDir } from '../cli/helpers.js';

const OPTIONAL = ['ioredis', '@statelyai/inspect'];

interface Manifest {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
}

let tmp: { dir: string; cleanup: () => void };
let app: string;
let installed: string;

/**
 * Packs the package and installs the tarball into an app of its own, with the package's
 * dependencies (linked from this checkout) and nothing else.
 */
beforeAll(() => {
  ensureBuilt();
  tmp = tempDir('afs-pack-');
  app = join(tmp.dir, 'app');
  installed = join(app, 'node_modules', 'agentforce-session');
  mkdirSync(installed, { recursive: true });
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp.dir], {
      cwd: ROOT,
      encoding: 'utf8',
    }),
  ) as [{ filename: string }];
  execFileSync('tar', [
    '-xzf',
    join(tmp.dir, packed.filename),
    '-C',
    installed,
    '--strip-components=1',
  ]);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Manifest;
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    const link = join(app, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), link, 'dir');
  }
  writeFileSync(join(app, 'package.json'), '{"type":"module","private":true}\n');
}, 180_000);

afterAll(() => tmp?.cleanup());

function run(file: string, args: string[] = [], input = '') {
  return spawnSync(process.execPath, [file, ...args], {
    cwd: app,
    input,
    encoding: 'utf8',
    timeout: 60_000,
    env: cleanEnv(tmp.dir),
  });
}

describe('optional peer dependencies', { timeout: 120_000 }, () => {
  it('the manifest lists them as optional peers, and as dev dependencies for the tests', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
    for (const name of OPTIONAL) {
      expect(manifest.dependencies?.[name], name).toBeUndefined();
      expect(manifest.peerDependencies?.[name], name).toBeDefined();
      expect(manifest.peerDependenciesMeta?.[name], name).toEqual({ optional: true });
      expect(manifest.devDependencies?.[name], name).toBe(manifest.peerDependencies?.[name]);
    }
  });

  it('the packed package, installed without them, imports and runs a session', () => {
    // The app really lacks them.
    const resolve = createRequire(join(app, 'package.json')).resolve;
    for (const name of OPTIONAL) expect(() => resolve(name), name).toThrow(/Cannot find module/);
    writeFileSync(
      join(app, 'session.mjs'),
      `
import { AgentforceClient, clientCredentials } from 'agentforce-session';
import { startFakeAgentApi, EMULATOR_SERVICE_AGENT_ID } from 'agentforce-session/fake-server';
import { RedisStore } from 'agentforce-session/redis';
const api = await startFakeAgentApi();
const client = new AgentforceClient({ myDomainUrl: api.url, auth: clientCredentials({ clientId: 'a', clientSecret: 'b' }) });
const session = client.session({ agentId: EMULATOR_SERVICE_AGENT_ID });
await session.start();
const turn = await session.send('hi');
const outcome = await session.end();
let redis;
try { new RedisStore('redis://127.0.0.1:1'); redis = 'created'; } catch (err) { redis = err.name + ': ' + err.message; }
client.close();
await api.close();
console.log(JSON.stringify({ text: turn.text, outcome: outcome.reason, redis }));
`,
    );
    const r = run('session.mjs');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { text: string; outcome: string; redis: string };
    expect(out.text).toMatch(/You said: "hi"/);
    expect(out.outcome).toBe('ended');
    expect(out.redis).toBe(
      'MissingDependencyError: RedisStore (agentforce-session/redis) needs the package ioredis, ' +
        'which is not installed. Fix: npm install ioredis',
    );
  });

  it('its CLI chats without them, and chat --inspect says which package to install', () => {
    const cli = join(installed, 'dist', 'src', 'cli', 'main.js');
    const chat = run(cli, ['chat'], 'hi\n');
    expect(chat.status, chat.stderr).toBe(0);
    expect(chat.stdout).toMatch(/You said: "hi"/);
    const inspect = run(cli, ['chat', '--inspect'], 'hi\n');
    expect(inspect.status).toBe(1);
    expect(inspect.stderr).toMatch(
      /the live inspector \(--inspect\) needs the package @statelyai\/inspect, which is not installed\. Fix: npm install @statelyai\/inspect/,
    );
  });
});
