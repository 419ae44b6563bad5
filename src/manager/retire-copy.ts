/** What becomes of a live copy that is no longer its conversation's. */
import type { AgentSession } from '../session.js';
import type { LiveSession } from './live-sessions.js';
import type { ConversationReset } from './manager-events.js';

/**
 * Drops a live copy that is no longer the conversation's (`current`: the stored one, if any).
 * Usually another node moved the conversation on, on the same server session or on one that
 * replaced an expired one: nothing to do, resolves `undefined`. But when the conversation's record
 * expired or was lost, or a new conversation replaced it under the same key, the copy's server
 * session is nobody's any more: it is ended (the caller holds the lease, so no other node uses it
 * now), and the reset the app must be told of is returned.
 */
export async function retireCopy(
  live: LiveSession,
  current: AgentSession | undefined,
): Promise<Omit<ConversationReset, 'type' | 'key'> | undefined> {
  const old = live.session;
  const previousSessionId = old.sessionId;
  const restarts = (session: AgentSession) => session.actor.getSnapshot().context.restarts;
  if (
    previousSessionId === null ||
    old.state === 'closed' ||
    current?.sessionId === previousSessionId ||
    (current !== undefined && restarts(current) > restarts(old))
  ) {
    old.stop();
    return undefined;
  }
  const cause = live.expiresAt <= Date.now() ? 'expired' : 'lost';
  const previousEnded = await old.end(cause === 'expired' ? 'Expiration' : 'Error').then(
    () => true,
    () => false,
  );
  old.stop();
  return { cause, previousSessionId, previousEnded };
}
