import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/redis.js';
import { dropPrefix, startRedis, uniquePrefix, type TestRedis } from './redis-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = 'test/stores/fixtures/worker.ts';
const ITERATIONS = 40;

interface Summary {
  name: string;
  tokens: number[];
  sequenceIds: number[];
  overlaps: number;
  contended: number;
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

function runWorker(env: Record<string, string>): Promise<Summary> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', WORKER], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`worker ${env.NAME} exited with ${code}: ${err}`));
      } else {
        resolve(JSON.parse(line) as Summary);
      }
    });
  });
}

it('serialises two Node processes on one conversation lock and counter', async () => {
  const prefix = uniquePrefix('processes');
  const key = 'shared-conversation';
  const common = { REDIS_URL: redis.url, PREFIX: prefix, KEY: key, PEERS: '2' };
  const results = await Promise.all(
    ['a', 'b'].map((name) => runWorker({ ...common, NAME: name, ITERATIONS: String(ITERATIONS) })),
  );

  for (const r of results) {
    expect(r.overlaps).toBe(0);
    expect(r.tokens).toHaveLength(ITERATIONS);
  }
  const total = 2 * ITERATIONS;
  // no lost update: every increment under the lock survived
  const store = new RedisStore(redis.url, { prefix });
  const record = await store.load(key);
  expect(record?.snapshot).toMatchObject({ count: total });
  // sequence ids: distinct and consecutive across both processes
  const ids = results.flatMap((r) => r.sequenceIds).sort((a, b) => a - b);
  expect(ids).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  expect(await store.peekSequenceId(key)).toBe(total);
  // fencing tokens: all distinct, increasing within each process, and the last one is stored
  const tokens = results.flatMap((r) => r.tokens);
  expect(new Set(tokens).size).toBe(total);
  for (const r of results) {
    expect(r.tokens).toEqual([...r.tokens].sort((a, b) => a - b));
  }
  expect(record?.fencingToken).toBe(Math.max(...tokens));
  // the two really competed: a process found the lock held by the other
  expect(results[0]!.contended + results[1]!.contended).toBeGreaterThan(0);
  await store.close();
  const client = new Redis(redis.url);
  await dropPrefix(client, prefix);
  await client.quit();
}, 90_000);
