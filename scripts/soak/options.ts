/**
 * Settings of a soak run, their defaults, and the command-line flags that set them.
 */
import { parseArgs } from 'node:util';

/** Fault names the soak injects by default, with their probability per request. */
export const DEFAULT_RATES: Readonly<Record<string, number>> = {
  'status:503': 0.02,
  'status:429': 0.02,
  'status:423': 0.02,
  dropBefore: 0.01,
  dropAfter: 0.01,
  delay: 0.01,
  malformed: 0.01,
  sessionNotFound: 0.02,
  sessionEnded: 0.005,
  streamError: 0.01,
  dropMidStream: 0.01,
  stall: 0.005,
  validationFailure: 0.02,
};

/** Routes that get random faults by default (`token` only on request: see docs/soak.md). */
export const DEFAULT_ROUTES = ['start', 'send', 'stream', 'end'] as const;

export interface SoakOptions {
  /** Conversations held at once. */
  sessions: number;
  /** User messages per conversation. */
  turns: number;
  /** Seconds to keep starting new conversations; 0 = one conversation per slot. */
  durationS: number;
  /** Seed of the emulator's fault rolls and of the soak's own choices. */
  seed: number;
  /** Probability per request of each fault, by emulator fault name. */
  rates: Record<string, number>;
  /** Routes that get random faults. */
  routes: string[];
  /** Mean pause between a reply and the next message, ms (uniform in 0..2×). */
  thinkMs: number;
  /** Conversations start spread over this many ms. */
  rampMs: number;
  /** Share of messages sent with `stream()` rather than `send()`. */
  streamRatio: number;
  /** Client request timeout, ms (delay faults are longer than this). */
  timeoutMs: number;
  /** Client stream idle timeout, ms. */
  streamIdleTimeoutMs: number;
  /** Client retries, and its backoff and `Retry-After` caps, ms. */
  maxRetries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  maxRetryAfterMs: number;
  /** New sessions after expiry before a conversation gives up. */
  maxRestarts: number;
  /** Emulator session TTL and token TTL, ms (on the emulator clock). */
  sessionTtlMs: number;
  tokenTtlMs: number;
  /** Every this many ms the emulator clock jumps past the token TTL (0 = never). */
  tokenExpiryEveryMs: number;
  /** Real ms between two SSE events of the emulator. */
  streamChunkDelayMs: number;
  /** How long to wait for the last messages to settle before calling them lost, ms. */
  drainTimeoutMs: number;
  /** Allowed growth of the heap over the run, MB. */
  heapSlackMb: number;
  /** Run the emulator in this process instead of a child process. */
  inProcess: boolean;
  /** Where to write the JSON report; default `bench/results/soak-<time>.json`. */
  reportPath: string | undefined;
  /** Print only the summary. */
  quiet: boolean;
  /** Where conversations live: `memory` (one process) or `redis` (the scale-out mode). */
  store: 'memory' | 'redis';
  /** Node processes of the scale-out mode, each a `SessionManager` on the Redis store. */
  nodes: number;
  /** Scale-out: the conversations' lease, ms. */
  leaseMs: number;
  /** Scale-out: a node or Redis fault every this many ms (0 = none). */
  faultEveryMs: number;
  /** Scale-out: the faults to take turns with (see {@link SCALE_OUT_FAULTS}). */
  scaleOutFaults: ScaleOutFault[];
}

/** Faults of the scale-out mode: on a node, or on Redis. */
export const SCALE_OUT_FAULTS = ['kill', 'term', 'pause', 'restart', 'flush'] as const;
export type ScaleOutFault = (typeof SCALE_OUT_FAULTS)[number];

/** Defaults of the scale-out mode where they differ from the single-process soak's. */
export const SCALE_OUT_DEFAULTS = {
  sessions: 24,
  turns: 6,
  durationS: 60,
  thinkMs: 300,
  rampMs: 1_000,
} as const;

export const DEFAULTS: SoakOptions = {
  sessions: 300,
  turns: 8,
  durationS: 0,
  seed: 1,
  rates: { ...DEFAULT_RATES },
  routes: [...DEFAULT_ROUTES],
  thinkMs: 1_500,
  rampMs: 3_000,
  streamRatio: 0.5,
  timeoutMs: 2_000,
  streamIdleTimeoutMs: 1_500,
  maxRetries: 3,
  retryBaseDelayMs: 20,
  retryMaxDelayMs: 200,
  maxRetryAfterMs: 200,
  maxRestarts: 3,
  sessionTtlMs: 15 * 60_000,
  tokenTtlMs: 5 * 60_000,
  tokenExpiryEveryMs: 5_000,
  streamChunkDelayMs: 2,
  drainTimeoutMs: 60_000,
  heapSlackMb: 16,
  inProcess: false,
  reportPath: undefined,
  quiet: false,
  store: 'memory',
  nodes: 1,
  leaseMs: 2_000,
  faultEveryMs: 5_000,
  scaleOutFaults: [...SCALE_OUT_FAULTS],
};

export const USAGE = `Usage: npm run soak -- [flags]

Many concurrent conversations with the emulator (in a child process) while it injects faults;
fails (exit 1) if any message is lost, answered twice or answered with another's reply, if a
sequenceId goes backwards, if a server session is left open, on an unhandled rejection, or if
the heap does not come back.

  --sessions <n>             conversations at once (${DEFAULTS.sessions})
  --turns <n>                messages per conversation (${DEFAULTS.turns})
  --duration <s>             keep starting conversations for this long; 0 = one each (${DEFAULTS.durationS})
  --seed <n>                 seed of the fault rolls (${DEFAULTS.seed})
  --fault-scale <x>          multiply every default fault rate (1)
  --rate <name=p>            set one fault rate, e.g. --rate status:503=0.05 (repeatable)
  --no-faults                no random faults (token expiry still on unless --token-expiry-every 0)
  --routes <list>            routes with faults (${DEFAULT_ROUTES.join(',')}; add token)
  --think-ms <ms>            mean pause between a reply and the next message (${DEFAULTS.thinkMs})
  --ramp-ms <ms>             spread the conversation starts over this long (${DEFAULTS.rampMs})
  --stream-ratio <x>         share of messages sent with stream() (${DEFAULTS.streamRatio})
  --timeout-ms <ms>          client request timeout (${DEFAULTS.timeoutMs})
  --stream-idle-timeout-ms <ms>  client stream idle timeout (${DEFAULTS.streamIdleTimeoutMs})
  --max-retries <n>          client retries (${DEFAULTS.maxRetries})
  --max-restarts <n>         new sessions after expiry (${DEFAULTS.maxRestarts})
  --token-ttl-ms <ms>        emulator token lifetime (${DEFAULTS.tokenTtlMs})
  --session-ttl-ms <ms>      emulator session lifetime (${DEFAULTS.sessionTtlMs})
  --token-expiry-every <ms>  jump the emulator clock past the token TTL this often (${DEFAULTS.tokenExpiryEveryMs}; 0 = off)
  --drain-timeout-ms <ms>    wait this long for the last replies (${DEFAULTS.drainTimeoutMs})
  --heap-slack-mb <mb>       allowed heap growth (${DEFAULTS.heapSlackMb})
  --in-process               run the emulator in this process
  --report <path>            JSON report path (default bench/results/soak-<time>.json)
  --quiet                    print the summary only

Scale-out mode (--store redis): node processes, each a SessionManager on one redis-server that
the soak starts (the redis-server program must be installed), every message to a random node,
while nodes are killed and Redis is paused, restarted and flushed (docs/soak.md):

  --store <memory|redis>     where conversations live (${DEFAULTS.store})
  --nodes <n>                node processes; more than 1 needs --store redis (${DEFAULTS.nodes}; 3 with redis)
  --lease-ms <ms>            the conversations' lease (${DEFAULTS.leaseMs})
  --fault-every <ms>         a node or Redis fault this often; 0 = none (${DEFAULTS.faultEveryMs})
  --node-faults <list>       faults to take turns with (${SCALE_OUT_FAULTS.join(',')})
  (defaults there: --sessions ${SCALE_OUT_DEFAULTS.sessions} --turns ${SCALE_OUT_DEFAULTS.turns} --duration ${SCALE_OUT_DEFAULTS.durationS} --think-ms ${SCALE_OUT_DEFAULTS.thinkMs})
  --help                     this text
`;

/** A bad flag: the message says which. */
export class UsageError extends Error {
  override name = 'UsageError';
}

function int(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`--${name} must be an integer ≥ ${min}`);
  const n = Number(value);
  if (n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}`);
  return n;
}

function ratio(name: string, value: string | undefined, fallback: number, max = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > max) {
    throw new UsageError(`--${name} must be a number between 0 and ${max}`);
  }
  return n;
}

/** Parses the command line. Returns `undefined` for `--help`. */
export function parseSoakArgs(argv: readonly string[]): SoakOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        sessions: { type: 'string' },
        turns: { type: 'string' },
        duration: { type: 'string' },
        seed: { type: 'string' },
        'fault-scale': { type: 'string' },
        rate: { type: 'string', multiple: true },
        'no-faults': { type: 'boolean' },
        routes: { type: 'string' },
        'think-ms': { type: 'string' },
        'ramp-ms': { type: 'string' },
        'stream-ratio': { type: 'string' },
        'timeout-ms': { type: 'string' },
        'stream-idle-timeout-ms': { type: 'string' },
        'max-retries': { type: 'string' },
        'max-restarts': { type: 'string' },
        'token-ttl-ms': { type: 'string' },
        'session-ttl-ms': { type: 'string' },
        'token-expiry-every': { type: 'string' },
        'drain-timeout-ms': { type: 'string' },
        'heap-slack-mb': { type: 'string' },
        'in-process': { type: 'boolean' },
        report: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean' },
        store: { type: 'string' },
        nodes: { type: 'string' },
        'lease-ms': { type: 'string' },
        'fault-every': { type: 'string' },
        'node-faults': { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  if (v.help) return undefined;
  const scale = ratio('fault-scale', v['fault-scale'], 1, 100);
  const rates: Record<string, number> = {};
  for (const [name, p] of Object.entries(DEFAULT_RATES))
    rates[name] = v['no-faults'] ? 0 : p * scale;
  for (const spec of v.rate ?? []) {
    const eq = spec.lastIndexOf('=');
    if (eq <= 0) throw new UsageError(`--rate takes name=probability (got ${spec})`);
    rates[spec.slice(0, eq)] = ratio('rate', spec.slice(eq + 1), 0);
  }
  const total = Object.values(rates).reduce((a, b) => a + b, 0);
  if (total > 1) throw new UsageError(`fault rates sum to ${total.toFixed(3)}, more than 1`);
  const routes =
    v.routes === undefined ? [...DEFAULT_ROUTES] : v.routes.split(',').map((r) => r.trim());
  const known = new Set(['token', 'start', 'send', 'stream', 'end', 'feedback', 'status']);
  for (const r of routes) if (!known.has(r)) throw new UsageError(`--routes: unknown route ${r}`);
  const timeoutMs = int('timeout-ms', v['timeout-ms'], DEFAULTS.timeoutMs, 1);
  const store = v.store ?? (v.nodes !== undefined && v.nodes.trim() !== '1' ? 'redis' : 'memory');
  if (store !== 'memory' && store !== 'redis') {
    throw new UsageError(`--store must be memory or redis (got ${store})`);
  }
  const scaleOut = store === 'redis';
  const nodes = int('nodes', v.nodes, scaleOut ? 3 : 1, 1);
  if (nodes > 1 && !scaleOut) {
    throw new UsageError('--nodes above 1 needs --store redis: a memory store is one process');
  }
  const scaleOutFaults = (v['node-faults'] ?? SCALE_OUT_FAULTS.join(','))
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  for (const f of scaleOutFaults) {
    if (!(SCALE_OUT_FAULTS as readonly string[]).includes(f)) {
      throw new UsageError(`--node-faults: unknown fault ${f} (${SCALE_OUT_FAULTS.join(', ')})`);
    }
  }
  const base = scaleOut ? { ...DEFAULTS, ...SCALE_OUT_DEFAULTS } : DEFAULTS;
  return {
    store,
    nodes,
    leaseMs: int('lease-ms', v['lease-ms'], DEFAULTS.leaseMs, 100),
    faultEveryMs: int('fault-every', v['fault-every'], DEFAULTS.faultEveryMs),
    scaleOutFaults: scaleOutFaults as ScaleOutFault[],
    sessions: int('sessions', v.sessions, base.sessions, 1),
    turns: int('turns', v.turns, base.turns, 1),
    durationS: int('duration', v.duration, base.durationS),
    seed: int('seed', v.seed, DEFAULTS.seed),
    rates,
    routes,
    thinkMs: int('think-ms', v['think-ms'], base.thinkMs),
    rampMs: int('ramp-ms', v['ramp-ms'], base.rampMs),
    streamRatio: ratio('stream-ratio', v['stream-ratio'], DEFAULTS.streamRatio),
    timeoutMs,
    streamIdleTimeoutMs: int(
      'stream-idle-timeout-ms',
      v['stream-idle-timeout-ms'],
      DEFAULTS.streamIdleTimeoutMs,
      1,
    ),
    maxRetries: int('max-retries', v['max-retries'], DEFAULTS.maxRetries),
    retryBaseDelayMs: DEFAULTS.retryBaseDelayMs,
    retryMaxDelayMs: DEFAULTS.retryMaxDelayMs,
    maxRetryAfterMs: DEFAULTS.maxRetryAfterMs,
    maxRestarts: int('max-restarts', v['max-restarts'], DEFAULTS.maxRestarts),
    sessionTtlMs: int('session-ttl-ms', v['session-ttl-ms'], DEFAULTS.sessionTtlMs, 1),
    tokenTtlMs: int('token-ttl-ms', v['token-ttl-ms'], DEFAULTS.tokenTtlMs, 1),
    tokenExpiryEveryMs: int(
      'token-expiry-every',
      v['token-expiry-every'],
      DEFAULTS.tokenExpiryEveryMs,
    ),
    streamChunkDelayMs: DEFAULTS.streamChunkDelayMs,
    drainTimeoutMs: int('drain-timeout-ms', v['drain-timeout-ms'], DEFAULTS.drainTimeoutMs, 1),
    heapSlackMb: int('heap-slack-mb', v['heap-slack-mb'], DEFAULTS.heapSlackMb),
    inProcess: v['in-process'] ?? false,
    reportPath: v.report,
    quiet: v.quiet ?? false,
  };
}
