/** The options of `SessionManager`, their defaults and their checks. */
import type { EndReason } from '../api/index.js';
import { InvalidArgumentError, type AgentforceError } from '../errors.js';
import { followsNumberRule, numberRuleText } from '../number-option.js';
import type { SessionOptions } from '../options.js';
import type { AgentSession } from '../session.js';
import type { SessionStore } from '../stores/types.js';

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

/** Options of `SessionManager.endAll`. */
export interface EndAllOptions {
  /** How long to wait for the conversations to end. @default 10000 */
  deadlineMs?: number;
  /** @default 'UserRequest' */
  reason?: EndReason;
  /** `store`: every conversation in the store; `live`: those live in this process. @default 'store' */
  scope?: 'store' | 'live';
}

/** What `SessionManager.endAll` resolves with: the conversations that did not end cleanly. */
export interface EndAllResult {
  ended: number;
  failed: Array<{ key: string; error: AgentforceError }>;
}

/**
 * What the manager needs of a client: to make a session and to restore one from its snapshot.
 * `AgentforceClient` is one.
 */
export interface SessionFactory {
  session(options: SessionOptions): AgentSession;
  restore(persisted: unknown, options?: Pick<SessionOptions, 'maxMessageLength'>): AgentSession;
}

/** {@link SessionManagerOptions} checked, with their defaults applied. */
export interface ManagerSettings {
  /** Each conversation's session options, without `idleTimeoutMs` (see {@link idleTimeoutMs}). */
  session: SessionOptions;
  /**
   * The session's own idle deadline would DELETE its server session from whichever node holds
   * a copy, also a stale one whose conversation another node continued: the manager makes it the
   * record's expiry in the store instead.
   */
  idleTimeoutMs: number | undefined;
  maxLive: number;
  leaseMs: number;
  lockWaitMs: number;
  recordTtlMs: number;
}

/** Checks the options and applies their defaults; throws `InvalidArgumentError`. */
export function managerSettings(options: SessionManagerOptions): ManagerSettings {
  if (typeof options !== 'object' || options === null || typeof options.session !== 'object') {
    throw new InvalidArgumentError('conversations: options.session (with an agentId) is required');
  }
  const int = (name: string, value: number | undefined, fallback: number, min: number) => {
    if (value === undefined) return fallback;
    if (!followsNumberRule(value, { min })) {
      throw new InvalidArgumentError(
        `conversations: ${name} must be ${numberRuleText({ min })} (got ${String(value)})`,
      );
    }
    return value;
  };
  const { idleTimeoutMs, ...session } = options.session;
  return {
    session,
    idleTimeoutMs,
    maxLive: int('maxLive', options.maxLive, 10_000, 1),
    leaseMs: int('leaseMs', options.leaseMs, 30_000, 100),
    lockWaitMs: int('lockWaitMs', options.lockWaitMs, 120_000, 0),
    recordTtlMs: int('recordTtlMs', options.recordTtlMs, 3_600_000, 1),
  };
}
