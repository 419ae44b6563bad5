/** The store side of a finished turn: the snapshot saved under the lease, or the record deleted. */
import type { AgentSession } from '../session.js';
import type { Lease, SessionStore } from '../stores/types.js';
import type { LiveSessions } from './live-sessions.js';

/** What saving a turn's conversation needs of the manager. */
export interface PersistTarget {
  store: SessionStore;
  live: LiveSessions;
  /** How long the record is kept after this turn (the idle deadline, else `recordTtlMs`). */
  recordLifetimeMs: number;
  /** The session closed: counted and told before its record is deleted. */
  closed(key: string, session: AgentSession): void;
  /** The save failed; the live copy is already discarded. */
  failed(key: string, err: unknown): void;
}

/**
 * Saves the snapshot after a turn (fenced by the lease), or deletes a closed conversation.
 * `storedSessionId` is the server session the store knew before the turn.
 */
export async function persistTurn(
  target: PersistTarget,
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
      target.closed(key, session);
      await target.store.delete(key, lease);
      return;
    }
    const snapshot = session.snapshot();
    const expiresAt = Date.now() + target.recordLifetimeMs;
    await target.store.save(key, lease, {
      schemaVersion: snapshot.schemaVersion,
      snapshot,
      expiresAt,
    });
    const live = target.live.get(key);
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
    target.live.forget(key, session);
    target.failed(key, err);
  }
}
