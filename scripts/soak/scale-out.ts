/**
 * The soak's scale-out mode (`npm run soak -- --nodes 3 --store redis`): node processes
 * (`test/manager/fixtures/node.ts`: each its own client and `SessionManager` on a `RedisStore`)
 * share one redis-server that the soak starts on a free port (AOF, `appendfsync always`), and talk
 * to the emulator on loopback. This process is the load balancer: every message and every `end`
 * to a random node, re-sent elsewhere when its node died or was leaving. Meanwhile, in turn: a node
 * is killed (SIGKILL) and replaced, a node leaves with the SIGTERM recipe of docs/scale-out.md and
 * is replaced, Redis is paused (SIGSTOP) past the lease, killed and restarted, or flushed.
 * At the end the nodes leave, one of them ends whatever is left (`endAll`), and the ledger is
 * checked (`scale-out-ledger.ts`).
 */
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { startFakeAgentApi } from '../../src/fake-server/index.js';
import { seededRandom } from '../../src/fake-server/random.js';
import {
  FIXTURE_CLIENT_ID,
  FIXTURE_CLIENT_SECRET,
  NodeDiedError,
  NodeProcess,
  withDeadline,
} from '../../test/manager/fixtures/cluster.js';
import { ownRedisServerAvailable, startOwnRedis } from '../../test/stores/redis-server.js';
import type { ScaleOutFault, SoakOptions } from './options.js';
import {
  checkScaleOut,
  DOCUMENTED_CAUSES,
  ScaleOutLedger,
  type ScaleOutCounts,
  type ScaleOutMessage,
} from './scale-out-ledger.js';

/** The report of a scale-out run: plain JSON. */
export interface ScaleOutReport {
  ok: boolean;
  mode: 'scale-out';
  command: string;
  startedAt: string;
  durationMs: number;
  /** Load average (1 min) at the start and at the end of the load. */
  loadAverage: { start: number; end: number };
  options: Omit<SoakOptions, 'quiet' | 'reportPath' | 'rates' | 'routes'>;
  conversations: number;
  messages: {
    total: number;
    replied: number;
    failed: number;
    failedByCode: Record<string, number>;
  };
  ends: { total: number; ok: number; failedByCode: Record<string, number> };
  /** Faults the soak caused, by kind. */
  faults: Record<string, number>;
  /** Every fault: seconds into the load, kind, the node it hit or how long it lasted. */
  faultTimeline: string[];
  /** Messages failed (typed, reported) within 10 s after each kind of fault began, by code. */
  failuresAfterFault: Record<string, Record<string, number>>;
  nodes: {
    spawned: number;
    /** Nodes that left on SIGTERM: their exit code and how long they took to exit by themselves. */
    left: { node: string; exitCode: number | string | null; ms: number; handedOver: number }[];
    resets: number;
    /** What the last node's `endAll` still found and ended. */
    endAll: { ended: number; failed: number };
  };
  server: { sessions: number; turns: number; openAtEnd: number };
  counts: ScaleOutCounts;
  violations: { total: number; byKind: Record<string, number>; samples: string[] };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const count = (map: Record<string, number>, key: string) => void (map[key] = (map[key] ?? 0) + 1);

/** Runs the scale-out soak. Fails (throws) at once when redis-server is not installed. */
export async function runScaleOut(
  options: SoakOptions,
  command: string,
  log: (line: string) => void,
): Promise<ScaleOutReport> {
  if (!ownRedisServerAvailable()) {
    throw new Error(
      'the scale-out soak starts a redis-server of its own: install the redis-server program (apt-get install redis-server)',
    );
  }
  const random = seededRandom(options.seed);
  const ledger = new ScaleOutLedger();
  const leaseMs = options.leaseMs;
  const drainMs = 5_000;
  /** A call to a node that takes longer than this is hung. */
  const hangMs = 4 * leaseMs + 20_000;

  const redis = await startOwnRedis({ appendonly: true });
  const api = await startFakeAgentApi({
    anyAgentId: true,
    clientId: FIXTURE_CLIENT_ID,
    clientSecret: FIXTURE_CLIENT_SECRET,
    strictSequence: true,
    maxRecordedRequests: 1_000_000,
    sessionTtlMs: 3_600_000,
  });
  log(`redis-server at ${redis.url} (AOF), emulator at ${api.url}`);

  const roster: NodeProcess[] = [];
  const leaving = new Set<NodeProcess>();
  let spawned = 0;
  const spawnNode = async (): Promise<NodeProcess> => {
    const node = await NodeProcess.spawn({
      name: `node-${spawned++}`,
      redisUrl: redis.url,
      prefix: 'soak:',
      apiUrl: api.url,
      leaseMs,
      lockWaitMs: 2 * leaseMs + 4_000,
      maxLive: Math.max(2, Math.floor(options.sessions / 2)),
      drainMs,
      storeFailFast: true,
      sessionStarts: true,
      onEvent: (name, event) => {
        ledger.nodeEvents.push({ at: Date.now(), node: name, event });
        if (event.type === 'turn.failed') {
          const at = `${name}|${event.key}`;
          ledger.turnFailed.set(at, (ledger.turnFailed.get(at) ?? 0) + 1);
        } else if (event.type === 'conversation.reset') {
          ledger.resets.push({
            node: name,
            key: event.key,
            previousSessionId: event.previousSessionId,
            ended: event.previousEnded,
          });
        }
      },
      onStarted: (name, sessionId) => {
        ledger.startedBy.set(sessionId, name);
        ledger.startedAt.set(sessionId, Date.now());
      },
    });
    roster.push(node);
    return node;
  };
  await Promise.all(Array.from({ length: options.nodes }, () => spawnNode()));
  const startedAt = new Date();
  const t0 = Date.now();

  const pick = async (): Promise<NodeProcess> => {
    for (let i = 0; i < 600; i++) {
      const ready = roster.filter((n) => n.alive && !leaving.has(n));
      if (ready.length > 0) return ready[Math.floor(random() * ready.length)]!;
      await sleep(50);
    }
    throw new Error('no node to route to for 30 s');
  };

  /** Sends `call` to a random node; again elsewhere when that node dies or is leaving. */
  const route = async <A extends { ok: boolean; error?: { code: string } }>(
    attempts: ScaleOutMessage['attempts'],
    onHung: () => void,
    call: (node: NodeProcess) => Promise<A>,
  ): Promise<A | undefined> => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const node = await pick();
      const record: ScaleOutMessage['attempts'][number] = { node: node.name, result: 'pending' };
      attempts.push(record);
      const timer = setTimeout(onHung, hangMs);
      try {
        const answer = await call(node);
        if (!answer.ok && answer.error?.code === 'session_closed' && leaving.has(node)) {
          record.result = 'refused (leaving)';
          continue;
        }
        record.result = 'answer';
        return answer;
      } catch (err) {
        if (!(err instanceof NodeDiedError)) throw err;
        record.result = 'node died';
      } finally {
        clearTimeout(timer);
      }
    }
    return undefined;
  };

  // The load: slots of conversations, each a series of messages, then `end`.
  let conversations = 0;
  const deadline = t0 + options.durationS * 1000;
  const conversation = async () => {
    const key = `conv-${conversations++}`;
    for (let t = 0; t < options.turns; t++) {
      const m = ledger.addMessage(key, ledger.messages.length);
      const answer = await route(
        m.attempts,
        () => (m.hung = true),
        (node) => node.send(key, m.token, m.text),
      );
      if (answer) m.answers.push(answer);
      m.settledAt = Date.now();
      if (options.thinkMs > 0) await sleep(random() * 2 * options.thinkMs);
    }
    const end = { key, answers: [] as never[], hung: false } as ScaleOutLedger['ends'][number];
    ledger.ends.push(end);
    const answer = await route(
      [],
      () => (end.hung = true),
      (node) => node.end(key),
    );
    if (answer) end.answers.push(answer);
  };
  const slot = async (n: number) => {
    await sleep((n / options.sessions) * options.rampMs);
    do await conversation();
    while (Date.now() < deadline);
  };

  // The faults, one at a time, in a seeded order.
  const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
  const left: ScaleOutReport['nodes']['left'] = [];
  /** Nodes started in place of those that went away (the faults do not wait for them). */
  const replacements: Promise<NodeProcess>[] = [];
  const cause = async (kind: ScaleOutFault) => {
    const at = Date.now();
    switch (kind) {
      case 'kill': {
        // Prefer a node with turns in flight: a kill mid-turn is the interesting one.
        const alive = roster.filter((n) => n.alive && !leaving.has(n));
        const busy = alive.filter((n) => n.pending > 0);
        const victim = (busy.length > 0 ? busy : alive)[0];
        if (!victim) return;
        ledger.faults.push({ kind, at, node: victim.name });
        ledger.killedAt.set(victim.name, at);
        await victim.kill('SIGKILL');
        replacements.push(spawnNode());
        return;
      }
      case 'term': {
        const alive = roster.filter((n) => n.alive && !leaving.has(n));
        const victim = alive[Math.floor(random() * alive.length)];
        if (!victim) return;
        ledger.faults.push({ kind, at, node: victim.name });
        await leave(victim);
        replacements.push(spawnNode());
        return;
      }
      case 'pause': {
        const ms = Math.round(leaseMs * 1.5);
        ledger.faults.push({ kind, at, ms });
        redis.pause();
        await sleep(ms);
        redis.resume();
        return;
      }
      case 'restart': {
        await redis.kill();
        await sleep(500);
        await redis.restart();
        ledger.faults.push({ kind, at, ms: Date.now() - at });
        return;
      }
      case 'flush': {
        ledger.faults.push({ kind, at });
        await admin.flushall().catch((err: unknown) => log(`FLUSHALL failed: ${String(err)}`));
        return;
      }
    }
  };
  /** The SIGTERM recipe: the balancer stops routing to the node, then the node leaves by itself. */
  const leave = async (node: NodeProcess) => {
    leaving.add(node);
    const at = Date.now();
    try {
      await withDeadline(node.kill('SIGTERM'), drainMs + 10_000, `${node.name} leaving`);
    } catch {
      ledger.violation('no-exit', `${node.name} did not exit by itself after SIGTERM`);
      await node.kill('SIGKILL');
    }
    const closed = node.closed;
    ledger.leftUnfinished.set(node.name, closed?.unfinished ?? []);
    left.push({
      node: node.name,
      exitCode: node.exitCode,
      ms: Date.now() - at,
      handedOver: closed?.handedOver ?? 0,
    });
    if (node.exitCode !== 0) {
      ledger.violation('term-exit', `${node.name} exited with ${String(node.exitCode)}`);
    }
  };

  const order = options.scaleOutFaults;
  let faultsRunning = true;
  const faultLoop = (async () => {
    if (options.faultEveryMs === 0 || order.length === 0) return;
    let i = Math.floor(random() * order.length);
    while (faultsRunning) {
      await sleep(options.faultEveryMs * (0.5 + random()));
      if (!faultsRunning || Date.now() > deadline) break;
      const kind = order[i++ % order.length]!;
      log(`… ${Math.round((Date.now() - t0) / 1000)} s: ${kind}`);
      await cause(kind);
    }
  })();

  const loadStart = loadavg()[0] ?? 0;
  const progress = setInterval(() => {
    const answered = ledger.messages.filter((m) => m.answers.length > 0).length;
    log(
      `… ${Math.round((Date.now() - t0) / 1000)} s: ${answered}/${ledger.messages.length} messages answered, ${api.openSessionCount()} server sessions open`,
    );
  }, 10_000);

  const slots = Promise.all(Array.from({ length: options.sessions }, (_, n) => slot(n)));
  const bound = options.durationS * 1000 + options.rampMs + options.drainTimeoutMs;
  let boundTimer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    slots.then(() => true),
    new Promise<false>((resolve) => (boundTimer = setTimeout(() => resolve(false), bound))),
  ]);
  clearTimeout(boundTimer);
  faultsRunning = false;
  await faultLoop;
  await Promise.all(replacements);
  clearInterval(progress);
  const loadEnd = loadavg()[0] ?? 0;
  const durationMs = Date.now() - t0;
  if (!drained) log('the load did not drain in time: unanswered messages count as lost');

  // The end: every node but one leaves (hands over); the last one ends whatever is left.
  const [last, ...others] = roster.filter((n) => n.alive);
  for (const node of others) await leave(node);
  let endAll = { ended: 0, failed: 0 };
  if (last) {
    const result = await withDeadline(last.shutdown(10_000), 20_000, 'endAll');
    endAll = { ended: result.ended, failed: result.failed.length };
  }
  for (const node of roster) await node.kill('SIGKILL');
  admin.disconnect();

  const sessions = api.sessions();
  const counts = checkScaleOut(ledger, sessions, api.requests);
  await api.close();
  await redis.stop();

  const failedByCode: Record<string, number> = {};
  const failuresAfterFault: Record<string, Record<string, number>> = {};
  let replied = 0;
  for (const m of ledger.messages) {
    const a = m.answers[0];
    if (a?.ok) replied++;
    else if (a) {
      count(failedByCode, a.error.code);
    }
  }
  // Which fault a failure followed: the last one that began at most 10 s before it settled.
  for (const m of ledger.messages) {
    const a = m.answers[0];
    if (!a || a.ok || m.settledAt === undefined) continue;
    const settledAt = m.settledAt;
    const fault = ledger.faults.findLast((f) => f.at <= settledAt && settledAt - f.at < 10_000);
    count((failuresAfterFault[fault?.kind ?? 'none'] ??= {}), a.error.code);
  }
  const endFailed: Record<string, number> = {};
  let endsOk = 0;
  for (const e of ledger.ends) {
    const a = e.answers[0];
    if (a?.ok) endsOk++;
    else if (a) count(endFailed, a.error.code);
  }
  const faults: Record<string, number> = {};
  for (const f of ledger.faults) count(faults, f.kind);
  const byKind: Record<string, number> = {};
  for (const v of ledger.violations) count(byKind, v.kind);
  const { quiet: _q, reportPath: _r, rates: _rates, routes: _routes, ...shown } = options;
  return {
    ok: ledger.violations.length === 0 && drained,
    mode: 'scale-out',
    command,
    startedAt: startedAt.toISOString(),
    durationMs,
    loadAverage: { start: loadStart, end: loadEnd },
    options: shown,
    conversations,
    messages: {
      total: ledger.messages.length,
      replied,
      failed: ledger.messages.length - replied,
      failedByCode,
    },
    ends: { total: ledger.ends.length, ok: endsOk, failedByCode: endFailed },
    faults,
    faultTimeline: ledger.faults.map(
      (f) =>
        `${((f.at - t0) / 1000).toFixed(1)} s ${f.kind}${f.node ? ` ${f.node}` : ''}${f.ms ? ` ${f.ms} ms` : ''} (${new Date(f.at).toISOString()})`,
    ),
    failuresAfterFault,
    nodes: { spawned, left, resets: ledger.resets.length, endAll },
    server: {
      sessions: sessions.length,
      turns: sessions.reduce((n, s) => n + s.turns, 0),
      openAtEnd: sessions.filter((s) => s.status === 'open').length,
    },
    counts,
    violations: {
      total: ledger.violations.length,
      byKind,
      samples: ledger.violations.slice(0, 20).map((v) => `${v.kind}: ${v.detail}`),
    },
  };
}

/** The report as text. */
export function formatScaleOutReport(r: ScaleOutReport): string {
  const c = r.counts;
  const pairs = (map: Record<string, number>) =>
    Object.entries(map)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '—';
  const causes = Object.entries(c.openByCause).map(
    ([k, v]) => `  ${v} × ${DOCUMENTED_CAUSES[k as keyof typeof DOCUMENTED_CAUSES]}`,
  );
  const lines = [
    `result            ${r.ok ? 'PASS (0 violations)' : `FAIL (${r.violations.total} violations)`}`,
    `command           ${r.command}`,
    `duration          ${(r.durationMs / 1000).toFixed(1)} s (load average ${r.loadAverage.start.toFixed(1)} → ${r.loadAverage.end.toFixed(1)})`,
    `nodes             ${r.options.nodes} at a time, ${r.nodes.spawned} spawned; lease ${r.options.leaseMs} ms`,
    `conversations     ${r.conversations} (${r.options.sessions} at a time × ${r.options.turns} messages, then end)`,
    `messages          ${r.messages.total}: ${r.messages.replied} replied, ${r.messages.failed} typed failures (${pairs(r.messages.failedByCode)})`,
    `ends              ${r.ends.total}: ${r.ends.ok} ended, failed: ${pairs(r.ends.failedByCode)}`,
    `faults            ${pairs(r.faults)}`,
    ...r.faultTimeline.map((f) => `                  ${f}`),
    `left on SIGTERM   ${r.nodes.left.map((l) => `${l.node} exit ${String(l.exitCode)} in ${l.ms} ms`).join(', ') || '—'}`,
    `resets            ${r.nodes.resets} conversation.reset; endAll at the end: ${r.nodes.endAll.ended} ended, ${r.nodes.endAll.failed} failed`,
    `server            ${r.server.sessions} sessions, ${r.server.turns} turns, ${r.server.openAtEnd} open at the end`,
    `lost ${c.lost}, duplicated ${c.duplicated}, hung ${c.hung}, unreported ${c.unreported}, leaked ${c.leaked} (beyond the documented causes); ${c.redeliveredAfterKill} redelivered to the agent after a kill`,
    `open for a documented cause: ${Object.values(c.openByCause).reduce((a, b) => a + b, 0)}`,
    ...causes,
  ];
  if (r.violations.total > 0) {
    lines.push(`violations: ${pairs(r.violations.byKind)}`);
    for (const s of r.violations.samples) lines.push(`  ${s}`);
  }
  return lines.join('\n');
}
