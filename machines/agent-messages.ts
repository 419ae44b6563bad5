/** What the machine reads in the agent's messages: the end of the session, a pending question. */
import type { ResponseMessage } from '../src/api/index.js';

/** The reason of the first `SessionEnded` message (`Unknown` if it gives none), else undefined. */
export function sessionEndedIn(messages: readonly ResponseMessage[]): string | undefined {
  for (const m of messages) {
    if (m.type === 'SessionEnded') return typeof m['reason'] === 'string' ? m['reason'] : 'Unknown';
  }
  return undefined;
}

/** The id of the last `Inquire` or `Confirm` message (the question the next message answers). */
export function questionIn(messages: readonly ResponseMessage[]): string | null {
  let id: string | null = null;
  for (const m of messages) {
    if ((m.type === 'Inquire' || m.type === 'Confirm') && typeof m.id === 'string') id = m.id;
  }
  return id;
}
