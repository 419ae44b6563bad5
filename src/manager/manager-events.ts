/** What `SessionManager` tells the application and its metrics: its events and counters. */
import type { AgentforceError } from '../errors.js';

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
