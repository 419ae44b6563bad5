/**
 * Measures the Redis store: the size of a stored record for a representative snapshot, and the
 * throughput of acquire + save + release cycles. Run with `npx tsx test/stores/bench.ts` (uses
 * REDIS_URL, or starts its own redis-server like the tests).
 */
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/redis.js';
import { dropPrefix, startRedis, uniquePrefix } from './redis-server.js';

const RUNS = 5;
const CYCLES = 2000;
const CONCURRENCY = 32;

/** A stand-in for a persisted session of about 1.5 KB of JSON. */
function standInSnapshot(): unknown {
  const message = (text: string) => ({
    type: 'Inform',
    id: 'b8f2c0a4-5f7e-4a55-9c1b-3c0e2f1d9a77',
    isContentSafe: true,
    message: text,
  });
  return {
    format: 'agentforce-session',
    schemaVersion: 1,
    machine: {
      status: 'active',
      value: 'awaitingInput',
      context: {
        agentId: '0XxRM0000004ABCDEF',
        endpoint: 'https://example.my.salesforce.com',
        sessionId: '8af419d6-af67-4ea2-b1a5-07bc3dd54cdb',
        externalSessionKey: '18908930-cc89-4e29-8f74-55af967aa785',
        lastSequenceId: 7,
        variables: [{ name: '$Context.EndUserLanguage', type: 'Text', value: 'en_US' }],
        queue: [],
        inFlight: null,
        idleTimeoutMs: 600_000,
        idleDeadline: 1_795_870_252_697,
        recent: [
          message('Hi, I am an AI assistant. How can I help you today?'),
          message('Your order 00012345 shipped yesterday and should arrive on Thursday.'),
          message('I have updated the delivery address on the order. Anything else I can do?'),
          message('You are welcome. Have a great day!'),
        ],
      },
      children: { idleDeadline: { snapshot: { status: 'active' }, src: 'idleDeadline' } },
    },
    padding: 'x'.repeat(300),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function cycles(store: RedisStore, keys: string[], perKey: number): Promise<number> {
  const snapshot = standInSnapshot();
  const started = performance.now();
  await Promise.all(
    keys.map(async (key) => {
      for (let i = 0; i < perKey; i++) {
        const lease = await store.acquire(key, { leaseMs: 30_000, waitMs: 5000 });
        await store.save(key, lease, { schemaVersion: 1, snapshot, expiresAt: Date.now() + 6e5 });
        await store.release(lease);
      }
    }),
  );
  return (keys.length * perKey) / ((performance.now() - started) / 1000);
}

const redis = await startRedis();
const prefix = uniquePrefix('bench');
const raw = new Redis(redis.url);
const store = new RedisStore(redis.url, { prefix });
try {
  const snapshotBytes = Buffer.byteLength(JSON.stringify(standInSnapshot()));
  const lease = await store.acquire('size', { leaseMs: 30_000, waitMs: 0 });
  await store.save('size', lease, {
    schemaVersion: 1,
    snapshot: standInSnapshot(),
    expiresAt: Date.now() + 6e5,
  });
  const recordJson = (await raw.hget(`${prefix}session:{size}`, 'record'))!;
  const memory = await raw.memory('USAGE', `${prefix}session:{size}`);
  console.log(`snapshot JSON: ${snapshotBytes} B`);
  console.log(`stored record JSON: ${Buffer.byteLength(recordJson)} B`);
  console.log(`Redis MEMORY USAGE of the session hash: ${String(memory)} B`);

  const sequential: number[] = [];
  const concurrent: number[] = [];
  await cycles(store, ['warmup'], 200);
  for (let run = 0; run < RUNS; run++) {
    sequential.push(await cycles(store, [`seq-${run}`], CYCLES));
    const keys = Array.from({ length: CONCURRENCY }, (_, i) => `conc-${run}-${i}`);
    concurrent.push(await cycles(store, keys, CYCLES / CONCURRENCY));
  }
  const fmt = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
  console.log(`one conversation, sequential: median ${Math.round(median(sequential))} cycles/s`);
  console.log(`  runs: ${fmt(sequential)}`);
  console.log(
    `${CONCURRENCY} conversations at once, one connection: median ${Math.round(median(concurrent))} cycles/s`,
  );
  console.log(`  runs: ${fmt(concurrent)}`);
} finally {
  await dropPrefix(raw, prefix);
  await store.close();
  await raw.quit();
  await redis.stop();
}
