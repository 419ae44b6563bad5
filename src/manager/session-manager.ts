/**
 * `SessionManager`: many conversations, keyed by the application's own conversation key, on one
 * node or many. Each conversation is one independent session actor (root actors in a map, never
 * thousands of children of one parent); turns of a conversation are serialised locally and,
 * through the store's lease, across nodes; its snapshot is saved after every turn so any node can
 * take the next message.
 */
import type { EndReason } from '../api/index.js';
import {
  AgentforceError,
  InvalidArgumentError,
  SessionClosedError,
  SnapshotVersionError,
  TimeoutError,
  isAgentforceError,
} from '../errors.js';
import type { SessionOptions } from '../options.js';
import type { AgentSession, SendOptions } from '../session.js';
import { LeaseLostError, StoreError } from '../stores/errors.js';
import { MemoryStore } from '../stores/memory.js';
import type { Lease, SessionStore, StoredSession } from '../stores/types.js';
import type { Turn } from '../turn.js';
import { SESSION_SCHEMA_VERSION } from '../../machines/session.machine.js';

/** Options of {@link SessionManager}. */
export interface SessionManagerOptions {
  /** Options of every conversation's session (the agent id at least). */
  session: SessionOptions;
  /** Where conversations live between turns. @default a new {@link MemoryStore} */
  store?: SessionStore | undefined;
  /** Most live session actors kept in this process; the least recently used idle ones are stopped (they stay in the store). @default 10000 */
  maxLive?: number | undefined;
  /** Lease of a conversation's lock during a turn, renewed while the turn runs. @default 30000 */
  leaseMs?: number | undefined;
  /** How long a turn waits for a conversation locked by another node. @default 120000 */
  lockWaitMs?: number | undefined;
  /** How long a stored conversation is kept after its last turn when the session has no idle deadline. @default 3600000 */
  recordTtlMs?: number | undefined;
}

/** What the manager emits. */
export type ManagerEvent =
  | { type: 'conversation.created'; key: string }
  | { type: 'conversation.restored'; key: string }
  | { type: 'conversation.evicted'; key: string }
  | {
      type: 'conversation.restarted';
      key: string;
      previousSessionId: string | null;
      sessionId: string;
    }
  | { type: 'conversation.closed'; key: string; reason: string }
  | ConversationReset
  | { type: 'turn.completed'; key: string; sessionId: string; sequenceId: number | undefined }
  | { type: 'turn.failed'; key: string; error: AgentforceError }
  /** The snapshot after a turn could not be saved (the reply was still delivered). */
  | {
      type: 'conversation.persist-failed';
      key: string;
      error: AgentforceError;
      leaseLost: boolean;
    };

/**
 * The conversation lost its server session, and with it the agent's memory of the conversation,
 * for a reason other than an expiry restart (that is `conversation.restarted`): its next message
 * starts a new server session. Tell the user, or send the context again.
 */
export interface ConversationReset {
  type: 'conversation.reset';
  key: string;
  /**
   * - `failed`: a fatal error closed it (the error went to the turn's caller and `turn.failed`);
   * - `expired`: its record expired (`idleTimeoutMs`, else `recordTtlMs`, after its last turn);
   * - `lost`: its record is gone before its time, or was replaced by a new conversation: the
   *   store lost data (a flush, a restart without persistence, a failover that lost writes).
   */
  cause: 'failed' | 'expired' | 'lost';
  /** The server session the conversation had. */
  previousSessionId: string;
  /** Whether it was ended (`DELETE`, or already gone); `false`: it stays open until its timeout. */
  previousEnded: boolean;
}

/** Counters for metrics. */
export interface ManagerStats {
  /** Session actors alive in this process. */
  live: number;
  /** Turns running in this process now. */
  inFlight: number;
  turns: number;
  failedTurns: number;
  /** Sessions replaced after expiry. */
  restarts: number;
  /** Conversations closed (ended by the app or the server, expired, failed). */
  ended: number;
  /** Live sessions stopped to respect `maxLive`. */
  evictions: number;
}

/** What the manager tells its telemetry besides its events. */
export interface ManagerObserver {
  /** The manager is made (and valid): listen to it, read its stats. */
  attached(manager: SessionManager): void;
  /** A turn waited `waitedMs` for the conversation's lock: got it, or not (timeout, store failure). */
  leaseWaited(waitedMs: number, acquired: boolean): void;
}

interface Live {
  session: AgentSession;
  /** Fencing token of the lease under which its snapshot was last saved. */
  savedToken: number;
  /** When its record expires in the store (epoch ms), as last saved or loaded. */
  expiresAt: number;
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
/**
 * What the manager needs of a client: to make a session and to restore one from its snapshot.
 * `AgentforceClient` is one.
 */
export interface SessionFactory {
  session(options: SessionOptions): AgentSession;
  restore(persisted: unknown, options?: Pick<SessionOptions, 'maxMessageLength'>): AgentSession;
}

export class SessionManager {
  readonly store: SessionStore;
  readonly #client: SessionFactory;
  readonly #options: {
    session: SessionOptions;
    maxLive: number;
    leaseMs: number;
    lockWaitMs: number;
    recordTtlMs: number;
  };
  /** Live sessions, least recently used first. */
  readonly #live = new Map<string, Live>();
  readonly #chains = new Map<string, Promise<unknown>>();
  /** Keys whose turn is running here now (never evicted). */
  readonly #busy = new Set<string>();
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
  readonly #idleTimeoutMs: number | undefined;
  /** Sessions whose own `DELETE` failed (`session.end-failed`): their server session may be open. */
  readonly #endFailed = new WeakSet<AgentSession>();
  readonly #observer: ManagerObserver | undefined;

  /** @internal Use `AgentforceClient.conversations`; `observer` is the client's telemetry. */
  constructor(client: SessionFactory, options: SessionManagerOptions, observer?: ManagerObserver) {
    this.#observer = observer;
    if (typeof options !== 'object' || options === null || typeof options.session !== 'object') {
      throw new InvalidArgumentError(
        'conversations: options.session (with an agentId) is required',
      );
    }
    const int = (name: string, value: number | undefined, fallback: number, min: number) => {
      if (value === undefined) return fallback;
      if (!Number.isInteger(value) || value < min) {
        throw new InvalidArgumentError(
          `conversations: ${name} must be an integer ≥ ${min} (got ${String(value)})`,
        );
      }
      return value;
    };
    this.#client = client;
    this.store = options.store ?? new MemoryStore();
    // The session's own idle deadline would DELETE its server session from whichever node holds
    // a copy, also a stale one whose conversation another node continued: here the record's
    // expiry in the store is the idle deadline instead (see `#persist`).
    const { idleTimeoutMs, ...session } = options.session;
    this.#idleTimeoutMs = idleTimeoutMs;
    this.#options = {
      session,
      maxLive: int('maxLive', options.maxLive, 10_000, 1),
      leaseMs: int('leaseMs', options.leaseMs, 30_000, 100),
      lockWaitMs: int('lockWaitMs', options.lockWaitMs, 120_000, 0),
      recordTtlMs: int('recordTtlMs', options.recordTtlMs, 3_600_000, 1),
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
    return this.#serialise(key, () => this.#turn(key, text, options));
  }

  /** Ends the conversation's server session (DELETE with `reason`) and forgets it. */
  end(key: string, reason: EndReason = 'UserRequest'): Promise<void> {
    return this.#serialise(key, () => this.#end(key, reason));
  }

  /**
   * Hands this node's conversations over and lets the process exit (a deploy, a scale-in): new
   * messages are refused (`session_closed`), turns in flight get up to `deadlineMs` to finish
   * (each one saves its conversation and releases its lease), then the live sessions are stopped
   * **without** ending their server sessions, and the store is closed (`closeStore: false` keeps
   * it open). Any other node continues every conversation from the store. Ends nothing.
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
    const running = [...this.#chains.entries()];
    const finished = new Set<string>();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(running.map(([key, chain]) => chain.then(() => void finished.add(key)))),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    const unfinished = running.map(([key]) => key).filter((key) => !finished.has(key));
    const handedOver = new Set([...this.#live.keys(), ...finished]).size;
    for (const [key, live] of this.#live) {
      live.session.stop();
      this.#live.delete(key);
    }
    if (options.closeStore !== false) await this.store.close();
    return { handedOver, unfinished };
  }

  /**
   * @deprecated Renamed {@link SessionManager.endAll}, which it calls: it ends every conversation
   * (of the whole deployment on a shared store). A node that leaves a deployment calls
   * {@link SessionManager.close} instead. Kept for one release.
   */
  shutdown(
    options: { deadlineMs?: number; reason?: EndReason; scope?: 'store' | 'live' } = {},
  ): Promise<{ ended: number; failed: Array<{ key: string; error: AgentforceError }> }> {
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
  async endAll(
    options: { deadlineMs?: number; reason?: EndReason; scope?: 'store' | 'live' } = {},
  ): Promise<{ ended: number; failed: Array<{ key: string; error: AgentforceError }> }> {
    this.#closing = true;
    const deadlineMs = options.deadlineMs ?? 10_000;
    const stored = options.scope === 'live' ? [] : await this.store.keys().catch(() => []);
    const keys = new Set([...this.#live.keys(), ...stored]);
    const failed: Array<{ key: string; error: AgentforceError }> = [];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), deadlineMs);
    });
    await Promise.all(
      [...keys].map(async (key) => {
        const result = await Promise.race([
          this.#serialise(key, () => this.#end(key, options.reason ?? 'UserRequest')).then(
            () => 'ok' as const,
            (err: unknown) => err,
          ),
          deadline,
        ]);
        if (result === 'ok') return;
        failed.push({
          key,
          error:
            result === 'deadline'
              ? new TimeoutError(`endAll: conversation ${key} did not end within ${deadlineMs} ms`)
              : isAgentforceError(result)
                ? result
                : new AgentforceError(String(result)),
        });
      }),
    );
    clearTimeout(timer);
    for (const [key, live] of this.#live) {
      live.session.stop();
      this.#live.delete(key);
    }
    return { ended: keys.size - failed.length, failed };
  }

  #serialise<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.#chains.set(key, settled);
    void settled.then(() => {
      if (this.#chains.get(key) === settled) this.#chains.delete(key);
    });
    return next;
  }

  async #turn(key: string, text: string, options: SendOptions): Promise<Turn> {
    this.#stats.inFlight++;
    this.#busy.add(key);
    let lease: Lease;
    const waitStart = performance.now();
    try {
      lease = await this.store.acquire(key, {
        leaseMs: this.#options.leaseMs,
        waitMs: this.#options.lockWaitMs,
      });
      this.#observer?.leaseWaited(performance.now() - waitStart, true);
    } catch (err) {
      this.#observer?.leaseWaited(performance.now() - waitStart, false);
      // No lock (held elsewhere past lockWaitMs, or the store failed): the turn failed here.
      this.#stats.inFlight--;
      this.#busy.delete(key);
      this.#stats.failedTurns++;
      this.#emit({
        type: 'turn.failed',
        key,
        error: isAgentforceError(err) ? err : new StoreError(String(err)),
      });
      throw err;
    }
    let current = lease;
    const renewEvery = Math.max(50, Math.floor(this.#options.leaseMs / 3));
    const renewal = setInterval(() => {
      this.store.renew(current, this.#options.leaseMs).then(
        (renewed) => (current = renewed),
        () => undefined, // the save below is fenced: a lost lease shows there
      );
    }, renewEvery);
    let session: AgentSession | undefined;
    let storedSessionId: string | null = null;
    try {
      session = await this.#sessionFor(key, lease);
      const context = session.actor.getSnapshot().context;
      storedSessionId = context.sessionId;
      // Reserve ids for this message and every re-send a restart may need, so a node that dies
      // mid-turn cannot make the next node reuse one.
      const first = await this.store.nextSequenceId(key, context.lastSequenceId);
      if (context.maxRestarts > 0) {
        await this.store.nextSequenceId(key, first + context.maxRestarts - 1);
      }
      session.actor.send({ type: 'SEQUENCE.FLOOR', lastSequenceId: first - 1 });
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
      this.#stats.failedTurns++;
      this.#emit({
        type: 'turn.failed',
        key,
        error: isAgentforceError(err) ? err : new StoreError(String(err)),
      });
      throw err;
    } finally {
      if (session) await this.#persist(key, session, current, storedSessionId);
      clearInterval(renewal);
      this.#stats.inFlight--;
      this.#busy.delete(key);
      await this.store.release(current).catch(() => undefined);
      this.#evictIfNeeded();
    }
  }

  /** The conversation's session: the live one if it is current, else restored or new. */
  async #sessionFor(key: string, lease: Lease): Promise<AgentSession> {
    const record = await this.store.load(key);
    const live = this.#live.get(key);
    if (
      live &&
      live.session.state !== 'closed' &&
      record &&
      record.fencingToken === live.savedToken
    ) {
      this.#live.delete(key);
      this.#live.set(key, live); // most recently used
      return live.session;
    }
    if (live) this.#live.delete(key);
    let session: AgentSession | undefined;
    if (record) {
      session = this.#restore(record);
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
    if (live) await this.#retire(key, live, session);
    if (!session) {
      session = this.#client.session(this.#options.session);
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

  /**
   * Drops a live copy that is no longer the conversation's (`current`: the stored one, if any).
   * Usually another node moved the conversation on, on the same server session or on one that
   * replaced an expired one: nothing to do. But when the conversation's record expired or was
   * lost, or a new conversation replaced it under the same key, the copy's server session is
   * nobody's any more: it is ended (under the lease, so no other node uses it now) and the app is
   * told (`conversation.reset`).
   */
  async #retire(key: string, live: Live, current: AgentSession | undefined): Promise<void> {
    const old = live.session;
    const previousSessionId = old.sessionId;
    const restarts = (s: AgentSession) => s.actor.getSnapshot().context.restarts;
    if (
      previousSessionId === null ||
      old.state === 'closed' ||
      current?.sessionId === previousSessionId ||
      (current !== undefined && restarts(current) > restarts(old))
    ) {
      old.stop();
      return;
    }
    const cause = live.expiresAt <= Date.now() ? 'expired' : 'lost';
    const previousEnded = await old.end(cause === 'expired' ? 'Expiration' : 'Error').then(
      () => true,
      () => false,
    );
    old.stop();
    this.#emit({ type: 'conversation.reset', key, cause, previousSessionId, previousEnded });
  }

  /** The stored session, or `undefined` when this version cannot restore it whole. */
  #restore(record: StoredSession): AgentSession | undefined {
    if (record.schemaVersion !== SESSION_SCHEMA_VERSION) return undefined;
    try {
      return this.#client.restore(record.snapshot, {
        maxMessageLength: this.#options.session.maxMessageLength,
      });
    } catch (err) {
      // The record claims this version but its snapshot is of another one, or incomplete.
      if (err instanceof SnapshotVersionError) return undefined;
      throw err;
    }
  }

  /**
   * Saves the snapshot after a turn (fenced by the lease), or deletes a closed conversation.
   * `storedSessionId` is the server session the store knew before the turn.
   */
  async #persist(
    key: string,
    session: AgentSession,
    lease: Lease,
    storedSessionId: string | null,
  ): Promise<void> {
    // Stopped meanwhile (the manager was closed past its deadline): the store keeps the last
    // saved state; a stopped actor's snapshot would restore as a dead one.
    if (session.actor.getSnapshot().status === 'stopped') return;
    try {
      // A session that failed ends its server session (DELETE): wait for it to close.
      if (session.state === 'ending') await session.closed.catch(() => undefined);
      if (session.state === 'closed') {
        this.#closed(key, session);
        await this.store.delete(key, lease);
        return;
      }
      const snapshot = session.snapshot();
      const expiresAt = Date.now() + (this.#idleTimeoutMs ?? this.#options.recordTtlMs);
      await this.store.save(key, lease, {
        schemaVersion: snapshot.schemaVersion,
        snapshot,
        expiresAt,
      });
      const live = this.#live.get(key);
      if (live?.session === session) {
        live.savedToken = lease.token;
        live.expiresAt = expiresAt;
      }
    } catch (err) {
      // A lost lease means another node owns the conversation now; a store failure means the
      // saved copy is older than this one. Either way this copy must not be reused: the next turn
      // starts from the store (the sequence counter there never goes backwards). The reply
      // already obtained is still handed to the caller. A server session this turn started is
      // known to nobody else: end it rather than leave it open.
      if (session.sessionId !== null && session.sessionId !== storedSessionId) {
        await session.end('Error').catch(() => undefined);
      }
      session.stop();
      if (this.#live.get(key)?.session === session) this.#live.delete(key);
      this.#emit({
        type: 'conversation.persist-failed',
        key,
        error: isAgentforceError(err) ? err : new StoreError(String(err)),
        leaseLost: err instanceof LeaseLostError,
      });
    }
  }

  async #end(key: string, reason: EndReason): Promise<void> {
    // Busy: the live session must not be evicted (stopped) while its DELETE runs.
    this.#busy.add(key);
    let lease: Lease;
    try {
      lease = await this.store.acquire(key, {
        leaseMs: this.#options.leaseMs,
        waitMs: this.#options.lockWaitMs,
      });
    } catch (err) {
      this.#busy.delete(key);
      throw err;
    }
    try {
      const record = await this.store.load(key);
      const live = this.#live.get(key);
      let session: AgentSession | undefined =
        live && record && record.fencingToken === live.savedToken ? live.session : undefined;
      if (!session && live) live.session.stop();
      if (!session && record) session = this.#restore(record);
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
      this.#busy.delete(key);
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
    if (this.#live.get(key)?.session === session) this.#live.delete(key);
  }

  /** Stops the least recently used idle sessions beyond `maxLive` (they stay in the store). */
  #evictIfNeeded(): void {
    if (this.#live.size <= this.#options.maxLive) return;
    for (const [key, live] of this.#live) {
      if (this.#live.size <= this.#options.maxLive) break;
      if (this.#busy.has(key)) continue;
      live.session.stop();
      this.#live.delete(key);
      this.#stats.evictions++;
      this.#emit({ type: 'conversation.evicted', key });
    }
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
