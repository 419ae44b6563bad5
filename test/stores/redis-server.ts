/**
 * The Redis the store tests run against: `REDIS_URL` when set (CI starts one), otherwise a
 * throwaway `redis-server` on a free loopback port, started here and stopped afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { nanoid } from 'nanoid';
import { isCI } from '../support/services.js';

/** A Redis to test against. */
export interface TestRedis {
  url: string;
  /** Stops the server if it was started here. */
  stop(): Promise<void>;
}

/** A key prefix unique to this test run, so parallel test files never collide. */
export function uniquePrefix(label: string): string {
  return `test:${label}:${nanoid(10)}:`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(500);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('+PONG'));
      }
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}

async function launch(): Promise<{ port: number; child: ChildProcess; dir: string } | null> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'store-test-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', [...args, '--dir', dir], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  for (let i = 0; i < 100 && !exited; i++) {
    if (await ping(port)) return { port, child, dir };
    await sleep(50);
  }
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  return null;
}

/** `REDIS_URL`, or a redis-server started for these tests (a few tries, in case of a port race). */
export async function startRedis(): Promise<TestRedis> {
  const url = process.env.REDIS_URL;
  if (url) return { url, stop: () => Promise.resolve() };
  for (let attempt = 0; attempt < 3; attempt++) {
    const started = await launch();
    if (!started) continue;
    const { port, child, dir } = started;
    return {
      url: `redis://127.0.0.1:${port}`,
      stop: async () => {
        if (child.exitCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await Promise.race([exited, sleep(3000)]);
          if (child.exitCode === null) child.kill('SIGKILL');
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  throw new Error('could not start redis-server for the store tests (is it installed?)');
}

/** Deletes every key under `prefix` (what a test left behind). */
export async function dropPrefix(client: Redis, prefix: string): Promise<void> {
  const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    if (batch.length > 0) await client.del(...batch);
  } while (cursor !== '0');
}

/** The end of a suite on its own Redis: deletes every key under `prefixes`, then stops the server. */
export async function stopRedis(redis: TestRedis | undefined, prefixes: string[]): Promise<void> {
  if (!redis) return;
  const client = new Redis(redis.url);
  for (const prefix of prefixes) await dropPrefix(client, prefix);
  await client.quit();
  await redis.stop();
}

/**
 * Whether the `redis-server` program is installed, for the suites that must own their server (they
 * kill, pause and restart it, so `REDIS_URL` alone will not do). Without it they skip, except with
 * `CI=true`, where this throws: CI runs every suite (`.ci/run` installs redis-server).
 */
export function ownRedisServerAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore', env }).status === 0) return true;
  if (isCI(env)) {
    throw new Error(
      'CI=true and redis-server is not installed: this suite starts, kills and restarts a redis-server of its own, so REDIS_URL is not enough (install redis-server: apt-get install redis-server; .ci/run does)',
    );
  }
  return false;
}

/** A redis-server of a test's own, which the test may kill, restart, pause and flush. */
export interface OwnRedis {
  url: string;
  /** Kills it (SIGKILL): nothing is flushed beyond what its persistence already wrote. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (an AOF file there is replayed). */
  restart(): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open, commands wait unanswered. */
  pause(): void;
  /** Lets it run again (SIGCONT); keys whose time passed meanwhile expire. */
  resume(): void;
  /** Stops it for good and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts a redis-server of its own (never `REDIS_URL`: a test that kills the server must own it),
 * with AOF persistence (`appendfsync always`) or none at all.
 */
export async function startOwnRedis(options: { appendonly: boolean }): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'fault-test-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir];
  if (options.appendonly) args.push('--appendonly', 'yes', '--appendfsync', 'always');
  else args.push('--appendonly', 'no');
  let child: ChildProcess | undefined;
  const up = async () => {
    const c = spawn('redis-server', args, { stdio: 'ignore' });
    child = c;
    let failed: Error | undefined;
    c.once('error', (err: NodeJS.ErrnoException) => {
      failed =
        err.code === 'ENOENT'
          ? new Error('redis-server is not installed (apt-get install redis-server)')
          : err;
    });
    for (let i = 0; i < 100 && !failed && c.exitCode === null; i++) {
      if (await ping(port)) return;
      await sleep(50);
    }
    throw failed ?? new Error(`redis-server did not answer on port ${port}`);
  };
  const down = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill(signal);
    await Promise.race([exited, sleep(3000)]);
  };
  await up();
  return {
    url: `redis://127.0.0.1:${port}`,
    kill: () => down('SIGKILL'),
    restart: up,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    stop: async () => {
      await down('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
