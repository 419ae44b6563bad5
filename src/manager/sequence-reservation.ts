/** Sequence ids reserved in the store before a turn, so no two nodes ever use the same one. */
import type { AgentSession } from '../session.js';
import type { SessionStore } from '../stores/types.js';

/**
 * Reserves ids for the session's next message and every re-send a restart may need, so a node
 * that dies mid-turn cannot make the next node reuse one, and floors the session's counter there.
 */
export async function reserveSequenceIds(
  store: SessionStore,
  key: string,
  session: AgentSession,
): Promise<void> {
  const context = session.actor.getSnapshot().context;
  const first = await store.nextSequenceId(key, context.lastSequenceId);
  if (context.maxRestarts > 0) {
    await store.nextSequenceId(key, first + context.maxRestarts - 1);
  }
  session.actor.send({ type: 'SEQUENCE.FLOOR', lastSequenceId: first - 1 });
}
