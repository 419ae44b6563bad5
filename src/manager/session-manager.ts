/**
 * `SessionManager`: many conversations, keyed by the application's own conversation key, on one
 * node or many. Each conversation is one independent session actor (root actors in a map, never
 * thousands of children of one parent); turns of a conversation are serialised locally and,
 * through the store's lease, across nodes; its snapshot is saved after every turn so any node can
 * take the next message.
 */
import type { EndReason } from '../api/index.js';
import type { AgentforceError } from '../errors.js';
import { InvalidArgumentError, SessionClosedError, isAgentforceError } from '../errors.js';
import type { AgentSession, SendOptions } from '../session.js';
import { LeaseLostError, StoreError } from '../stores/errors.js';
import { MemoryStore } from '../stores/memory.js';
import type { Lease, SessionStore } from '../stores/types.js';
import type { Turn } from '../turn.js';
import { renewLease } from './lease-renewal.js';
import { settleWithin, startDeadline } from '../deadline.js';
import { LiveSessions } from './live-sessions.js';
import type { ManagerEvent, ManagerStats } from './manager-events.js';
import {
  managerSettings,
  type EndAllOptions,
  type EndAllResult,
  type ManagerSettings,
  type SessionFactory,
  type SessionManagerOptions,
} from './manager-options.js';
import { restoreRecord } from './restore-record.js';
import { retireCopy } from './retire-copy.js';
import { persistTurn, type PersistTarget } from './persist-turn.js';
import { reserveSequenceIds } from './sequence-reservation.js';
import { TurnQueues } from './turn-queues.js';

/** What the manager tells its telemetry besides its events. */
export interface ManagerObserver {
  /** The manager is made (and valid): listen to it, read its stats. */
  attached(manager: SessionManager): void;
  /** A turn waited `waitedMs` for the conversation's lock: got it, or not (timeout, store failure). */
  leaseWaited(waitedMs: number, acquired: boolean): void;
}

/**
 * Runs many conversations. `send(key, text)` starts the conversation's session on first use,
 * routes to its live session, serialises its turns, and resolves with the reply.
 *
 * @example
 * ```ts
 * const manager = client.conversations({ session: { agentId }, store: new RedisStore(redisUrl) });
 * const turn = await manager.send(userId, 'Where is my order?');
 * process.once('SIGTERM', () => void manager.close({ deadlineMs: 10_000 }));
 * ```
 */
export class SessionManager {
  readonly store: SessionStore;
  readonly #client: SessionFactory;
  readonly #settings: ManagerSettings;
  readonly #live = new LiveSessions();
  readonly #turnQueues = new TurnQueues();
  readonly #listeners = new Set<(event: ManagerEvent) => void>();
  readonly #stats: Omit<ManagerStats, 'live'> = {
    inFlight: 0,
    turns: 0,
    failedTurns: 0,
    restarts: 0,
    ended: 0,
    evictions: 0,
  };
  #closing = false;
  /** Sessions whose own `DELETE` failed (`session.end-failed`): their server session may be open. */
  readonly #endFailed = new WeakSet<AgentSession>();
  readonly #observer: ManagerObserver | undefined;
  readonly #persistTarget: PersistTarget;

  /** @internal Use `AgentforceClient.conversations`; `observer` is the client's telemetry. */
  constructor(client: SessionFactory, options: SessionManagerOptions, observer?: ManagerObserver) {
    this.#observer = observer;
    this.#settings = managerSettings(options);
    this.#client = client;
    this.store = options.store ?? new MemoryStore();
    this.#persistTarget = {
      store: this.store,
      live: this.#live,
      recordLifetimeMs: this.#settings.idleTimeoutMs ?? this.#settings.recordTtlMs,
      closed: (key, session) => this.#closed(key, session),
      failed: (key, err) =>
        this.#emit({
          type: 'conversation.persist-failed',
          key,
          error: asAgentforceError(err),
          leaseLost: err instanceof LeaseLostError,
        }),
    };
    // Fail fast on bad session options (and the agent id), before any conversation.
    client.session(options.session).stop();
    observer?.attached(this);
  }

  /** Counters for metrics. */
  get stats(): ManagerStats {
    return { live: this.#live.size, ...this.#stats };
  }

  /** Listens to the manager's events; returns a function that stops listening. */
  on(handler: (event: ManagerEvent) => void): () => void {
    this.#listeners.add(handler);
    return () => this.#listeners.delete(handler);
  }

  /**
   * Sends a message in the conversation `key` and resolves with the agent's reply. Starts the
   * conversation's session on first use (and again after it closed); turns of one conversation
   * run one at a time, in call order on this node, and under the store's lock across nodes.
   */
  send(key: string, text: string, options: SendOptions = {}): Promise<Turn> {
    if (typeof key !== 'string' || key === '') {
      return Promise.reject(
        new InvalidArgumentError('conversation key must be a non-empty string'),
      );
    }
    if (this.#closing) {
      return Promise.reject(new SessionClosedError('the session manager is shutting down'));
    }
    return this.#turnQueues.run(key, () => this.#turn(key, text, options));
  }

  /** Ends the conversation's server session (DELETE with `reason`) and forgets it. */
  end(key: string, reason: EndReason = 'UserRequest'): Promise<void> {
    return this.#turnQueues.run(key, () => this.#end(key, reason));
  }

  /**
   * Hands this node's conversations over and lets the process exit (a deploy, a scale-in): new
   * messages are refused (`session_closed`), turns in flight get up to `deadlineMs` to finish
   * (each one saves its conversation and releases its lease), then the live sessions are stopped
   * **without** ending their server sessions, and the store is closed (`closeStore: false` keeps
   * it open). Any other node continues every conversation from the store. Ends nothing, but for
   * a live copy whose record the store no longer holds (lost or expired): nobody can continue
   * it, so its server session is ended and `conversation.reset` says so.
   *
   * Resolves with the keys whose turn was still running at the deadline: their caller got
   * `session_closed`, the store keeps the conversation as it was before that turn, and the next
   * node continues it (a server session that turn had just started is not in the store: the
   * server ends it after its inactivity timeout).
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => {
   *   server.close(); // stop taking requests
   *   void manager.close({ deadlineMs: 10_000 }).finally(() => client.close());
   * });
   * ```
   */
  async close(
    options: { deadlineMs?: number; closeStore?: boolean } = {},
  ): Promise<{ handedOver: number; unfinished: string[] }> {
    this.#closing = true;
    const deadlineMs = options.deadlineMs ?? 10_000;
    const running = this.#turnQueues.pending();
    const finished = new Set<string>();
    const deadline = startDeadline(deadlineMs);
    await Promise.race([
      Promise.all(running.map(([key, chain]) => chain.then(() => void finished.add(key)))),
      deadline.reached,
    ]);
    const unfinished = running.map(([key]) => key).filter((key) => !finished.has(key));
    const idle = this.#live.keys().filter((key) => !unfinished.includes(key));
    const retired = new Set<string>();
    await Promise.race([
      Promise.all(idle.map(async (key) => (await this.#retireOrphan(key)) && retired.add(key))),
      deadline.reached,
    ]);
    deadline.clear();
    const handedOver = new Set([...this.#live.keys(), ...finished].filter((k) => !retired.has(k)))
      .size;
    this.#live.stopAll();
    if (options.closeStore !== false) await this.store.close();
    return { handedOver, unfinished };
  }

  /**
   * Ends a live copy whose record the store no longer holds (lost in a flush, a restart without
   * persistence or a failover, or expired): no node can continue it, so leaving would leave its
   * server session open until the server's timeout. True when it was retired.
   */
  async #retireOrphan(key: string): Promise<boolean> {
    const live = this.#live.get(key);
    // A store that does not answer may still hold it: hand it over.
    if (!live || (await this.store.load(key).catch(() => undefined)) !== null) return false;
    // Still among the live sessions: one whose DELETE outlasts the deadline is stopped with them.
    const reset = await retireCopy(live, undefined);
    if (reset) this.#emit({ type: 'conversation.reset', key, ...reset });
    return true;
  }

  /**
   * @deprecated Renamed {@link SessionManager.endAll}, which it calls: it ends every conversation
   * (of the whole deployment on a shared store). A node that leaves a deployment calls
   * {@link SessionManager.close} instead. Kept for one release.
   */
  shutdown(options: EndAllOptions = {}): Promise<EndAllResult> {
    return this.endAll(options);
  }

  /**
   * Ends conversations (DELETE with `reason`, default `UserRequest`) and deletes them from the
   * store, waiting at most `deadlineMs`; new messages are refused meanwhile. Resolves with the
   * conversations that did not end cleanly. This is not how a node leaves a deployment: that is
   * {@link SessionManager.close}, which hands the conversations over.
   *
   * `scope: 'store'` (the default) ends every conversation in the store, live here or not: on a
   * store shared by many nodes that is **the whole deployment's** (to wind everything down).
   * `scope: 'live'` ends only the conversations live in this process (with random routing, every
   * node may hold live copies of most conversations).
   */
  async endAll(options: EndAllOptions = {}): Promise<EndAllResult> {
    this.#closing = true;
    const deadlineMs = options.deadlineMs ?? 10_000;
    const stored = options.scope === 'live' ? [] : await this.store.keys().catch(() => []);
    const keys = new Set([...this.#live.keys(), ...stored]);
    const unsettled = await settleWithin(
      keys,
      deadlineMs,
      (key) => this.#turnQueues.run(key, () => this.#end(key, options.reason ?? 'UserRequest')),
      (key) => `endAll: conversation ${key} did not end within ${deadlineMs} ms`,
    );
    this.#live.stopAll();
    const failed = unsettled.map(({ item, error }) => ({ key: item, error }));
    return { ended: keys.size - failed.length, failed };
  }

  async #turn(key: string, text: string, options: SendOptions): Promise<Turn> {
    this.#stats.inFlight++;
    this.#live.busy(key);
    let lease: Lease;
    const waitStart = performance.now();
    try {
      lease = await this.store.acquire(key, {
        leaseMs: this.#settings.leaseMs,
        waitMs: this.#settings.lockWaitMs,
      });
      this.#observer?.leaseWaited(performance.now() - waitStart, true);
    } catch (err) {
      this.#observer?.leaseWaited(performance.now() - waitStart, false);
      // No lock (held elsewhere past lockWaitMs, or the store failed): the turn failed here.
      this.#stats.inFlight--;
      this.#live.idle(key);
      this.#turnFailed(key, err);
      throw err;
    }
    const renewal = renewLease(this.store, lease, this.#settings.leaseMs);
    let session: AgentSession | undefined;
    let storedSessionId: string | null = null;
    try {
      session = await this.#sessionFor(key, lease);
      storedSessionId = session.sessionId;
      await reserveSequenceIds(this.store, key, session);
      const turn = await session.send(text, options);
      this.#stats.turns++;
      this.#emit({
        type: 'turn.completed',
        key,
        sessionId: turn.sessionId,
        sequenceId: turn.sequenceId,
      });
      return turn;
    } catch (err) {
      // Whatever failed after the lease was taken (the store's load or counter, or the turn).
      this.#turnFailed(key, err);
      throw err;
    } finally {
      if (session) {
        await persistTurn(this.#persistTarget, key, session, renewal.current, storedSessionId);
      }
      renewal.stop();
      this.#stats.inFlight--;
      this.#live.idle(key);
      await this.store.release(renewal.current).catch(() => undefined);
      this.#evictIfNeeded();
    }
  }

  /** The conversation's session: the live one if it is current, else restored or new. */
  async #sessionFor(key: string, lease: Lease): Promise<AgentSession> {
    const record = await this.store.load(key);
    const live = this.#live.get(key);
    if (live && live.session.state !== 'closed' && this.#live.current(key, record)) {
      this.#live.set(key, live); // most recently used
      return live.session;
    }
    if (live) this.#live.delete(key);
    let session: AgentSession | undefined;
    if (record) {
      session = restoreRecord(this.#client, record, this.#settings.session.maxMessageLength);
      if (!session) {
        // Written by another schema version: refuse it whole (never half-restore); start afresh.
        await this.store.delete(key, lease);
      } else if (session.state === 'closed') {
        session.stop();
        session = undefined;
      } else {
        this.#emit({ type: 'conversation.restored', key });
      }
    }
    const reset = live && (await retireCopy(live, session));
    if (reset) this.#emit({ type: 'conversation.reset', key, ...reset });
    if (!session) {
      session = this.#client.session(this.#settings.session);
      this.#emit({ type: 'conversation.created', key });
    }
    const own = session;
    session.on('session.end-failed', () => this.#endFailed.add(own));
    session.on('session.restarted', (e) => {
      this.#stats.restarts++;
      this.#emit({
        type: 'conversation.restarted',
        key,
        previousSessionId: e.previousSessionId,
        sessionId: e.sessionId,
      });
    });
    this.#live.set(key, {
      session,
      savedToken: lease.token,
      expiresAt: record?.expiresAt ?? Number.POSITIVE_INFINITY,
    });
    this.#evictIfNeeded();
    return session;
  }

  async #end(key: string, reason: EndReason): Promise<void> {
    // Busy: the live session must not be evicted (stopped) while its DELETE runs.
    this.#live.busy(key);
    let lease: Lease;
    try {
      lease = await this.store.acquire(key, {
        leaseMs: this.#settings.leaseMs,
        waitMs: this.#settings.lockWaitMs,
      });
    } catch (err) {
      this.#live.idle(key);
      throw err;
    }
    try {
      const record = await this.store.load(key);
      let session = this.#live.current(key, record)?.session;
      const stale = session ? undefined : this.#live.get(key)?.session;
      if (!session && record)
        session = restoreRecord(this.#client, record, this.#settings.session.maxMessageLength);
      // A copy on another server session than the stored one (the record was lost, or replaced
      // after a loss): that server session is this conversation's too, and nobody else's.
      if (stale) {
        const other = stale.sessionId !== null && stale.sessionId !== session?.sessionId;
        if (other && stale.state !== 'closed') await stale.end(reason).catch(() => undefined);
        stale.stop();
      }
      if (session && session.state !== 'closed') {
        try {
          await session.end(reason);
        } finally {
          this.#closed(key, session);
        }
      }
      if (record) await this.store.delete(key, lease);
    } finally {
      this.#live.delete(key);
      this.#live.idle(key);
      await this.store.release(lease).catch(() => undefined);
    }
  }

  #closed(key: string, session: AgentSession): void {
    this.#stats.ended++;
    const outcome = session.outcome;
    this.#emit({ type: 'conversation.closed', key, reason: outcome?.reason ?? 'ended' });
    if (outcome?.reason === 'failed' && outcome.sessionId !== null) {
      this.#emit({
        type: 'conversation.reset',
        key,
        cause: 'failed',
        previousSessionId: outcome.sessionId,
        previousEnded: outcome.endReason === 'Error' && !this.#endFailed.has(session),
      });
    }
    this.#live.forget(key, session);
  }

  /** Stops the least recently used idle sessions beyond `maxLive` (they stay in the store). */
  #evictIfNeeded(): void {
    this.#live.evictBeyond(this.#settings.maxLive, (key) => {
      this.#stats.evictions++;
      this.#emit({ type: 'conversation.evicted', key });
    });
  }

  #turnFailed(key: string, err: unknown): void {
    this.#stats.failedTurns++;
    this.#emit({ type: 'turn.failed', key, error: asAgentforceError(err) });
  }

  #emit(event: ManagerEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // a listener's failure must not break a turn
      }
    }
  }
}

/** A failure as the manager reports it: anything not already typed is the store's. */
function asAgentforceError(err: unknown): AgentforceError {
  return isAgentforceError(err) ? err : new StoreError(String(err));
}
