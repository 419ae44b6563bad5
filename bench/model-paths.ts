/**
 * Model suite: how long generating the model-based test paths takes, and how many there are.
 * Uses the path generation of `test/model/model.ts` (`generatePaths` over `MODEL_CONFIGS`, with
 * the simple-path bounds the model tests use) when it is there; otherwise generates shortest and
 * simple paths of `sessionMachine` with `xstate/graph` from candidate events of the same kind.
 * Median of repeated generations.
 */
import type { AnyEventObject } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { sessionMachine } from '../machines/session.machine.js';
import { childArgs, printResult, progress } from './lib/process.js';
import { round, roundSummary, summarize, type Summary } from './lib/stats.js';

export interface ModelPathsArgs {
  repeats: number;
}

export interface ModelPathsResult {
  source: 'test/model' | 'own';
  /** Why the test/model generation was not used, when it was not. */
  note?: string;
  paths: number;
  byKind: Record<string, number>;
  /** ms per full generation, one value per repeat. */
  generationMs: Summary;
}

/** The simple-path bounds of test/model/paths.test.ts (one variant per guard outcome). */
const SIMPLE = {
  maxLength: 8,
  perBucket: 2,
  variants: new Set([
    'start',
    'send',
    'stream',
    'end',
    'cancelInFlight',
    'cancelQueued',
    'idleTimeout',
    'authorizeOk',
    'authorizeRefused',
    'startOk',
    'startEnded',
    'startUnavailable',
    'replyOk',
    'replyEnded',
    'sendNotFound',
    'sendRefused',
    'sendUnavailable',
    'streamDone',
    'streamEnded',
    'streamNotFound',
    'streamRefused',
    'streamError',
    'endOk',
    'endNotFound',
    'endUnavailable',
  ]),
};

interface ModelModule {
  MODEL_CONFIGS: readonly unknown[];
  generatePaths: (config: unknown, simple: typeof SIMPLE) => { kind: string }[];
}

async function loadModel(): Promise<ModelModule | string> {
  // A variable specifier: the model is another part of the project, loaded only if present.
  const specifier = '../test/model/model.js';
  try {
    const mod = (await import(specifier)) as Partial<ModelModule>;
    if (typeof mod.generatePaths !== 'function' || !Array.isArray(mod.MODEL_CONFIGS))
      return 'test/model/model.ts does not export generatePaths and MODEL_CONFIGS';
    return mod as ModelModule;
  } catch (err) {
    return `test/model/model.ts could not be loaded: ${err instanceof Error ? err.message : String(err)}`;
  }
}

const error = (code: string) => ({ name: 'AgentforceError', code, message: code });
const inform = { type: 'Inform', id: 'i', message: 'ok' };
const ended = { type: 'SessionEnded', id: 'e', reason: 'Action' };

type Snap = ReturnType<typeof sessionMachine.resolveState>;

/** Candidate events built from the state (replies must carry the sequence id in flight). */
function candidates(s: Snap): AnyEventObject[] {
  const c = s.context;
  const cur = { sessionId: c.inFlight?.sessionId ?? '', sequenceId: c.inFlight?.sequenceId ?? -1 };
  const out: AnyEventObject[] = [
    { type: 'START' },
    { type: 'SEND', turnId: `t${c.lastSequenceId + c.queue.length}`, text: 'hi' },
    { type: 'END', reason: 'UserRequest' },
    { type: 'IDLE_TIMEOUT' },
    { type: 'xstate.done.actor.authorize', output: { expiresAt: null } },
    { type: 'xstate.error.actor.authorize', error: error('authentication') },
    { type: 'xstate.done.actor.startSession', output: { sessionId: 's1', messages: [inform] } },
    { type: 'xstate.error.actor.startSession', error: error('service_unavailable') },
    { type: 'xstate.done.actor.sendMessage', output: { ...cur, messages: [inform] } },
    { type: 'xstate.done.actor.sendMessage', output: { ...cur, messages: [inform, ended] } },
    { type: 'xstate.error.actor.sendMessage', error: error('session_not_found') },
    { type: 'xstate.error.actor.sendMessage', error: error('authentication') },
    { type: 'xstate.error.actor.sendMessage', error: error('service_unavailable') },
    { type: 'xstate.done.actor.endSession', output: { messages: [] } },
    { type: 'xstate.error.actor.endSession', error: error('session_not_found') },
  ];
  if (c.inFlight) out.push({ type: 'CANCEL', turnId: c.inFlight.turnId });
  return out.filter((e) => s.can(e as never));
}

function ownPaths(): { kind: string }[] {
  const logic = sessionMachine as unknown as Parameters<typeof getShortestPaths>[0];
  const options = {
    input: {
      agentId: '0XxBENCH000001AAA',
      endpoint: 'https://bench.invalid',
      maxQueue: 1,
      maxRestarts: 1,
      idleTimeoutMs: 1000,
    },
    events: (s: unknown) => candidates(s as Snap),
    serializeState: (s: unknown) => {
      const snap = s as Snap;
      const c = snap.context;
      return JSON.stringify([
        snap.value,
        snap.status,
        c.queue.length,
        c.inFlight !== null,
        c.restarts,
        c.sessionId !== null,
        c.endRequested,
        c.outcome?.reason ?? null,
      ]);
    },
  };
  const shortest = getShortestPaths(logic, options as never);
  const simple = getSimplePaths(logic, {
    ...options,
    toState: (s: unknown) => (s as Snap).status === 'done',
  } as never);
  return [...shortest.map(() => ({ kind: 'shortest' })), ...simple.map(() => ({ kind: 'simple' }))];
}

export async function runModelPaths(args: ModelPathsArgs): Promise<ModelPathsResult> {
  const model = await loadModel();
  const generate =
    typeof model === 'string'
      ? ownPaths
      : () => model.MODEL_CONFIGS.flatMap((config) => model.generatePaths(config, SIMPLE));
  let paths: { kind: string }[] = [];
  const times: number[] = [];
  for (let i = 0; i < args.repeats; i++) {
    const start = process.hrtime.bigint();
    paths = generate();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    progress(`model paths: ${paths.length} paths in ${times.at(-1)!.toFixed(0)} ms`);
  }
  const byKind: Record<string, number> = {};
  for (const p of paths) byKind[p.kind] = (byKind[p.kind] ?? 0) + 1;
  const result: ModelPathsResult = {
    source: typeof model === 'string' ? 'own' : 'test/model',
    paths: paths.length,
    byKind,
    generationMs: roundSummary(summarize(times), 0),
  };
  if (typeof model === 'string') result.note = model;
  void round;
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printResult(await runModelPaths(childArgs<ModelPathsArgs>()));
}
