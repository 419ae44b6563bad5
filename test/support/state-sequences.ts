/**
 * Top-level state sequences of a session (docs/lifecycle.md), written out once so that the
 * machine, client and CLI suites expect the same path: a start, a turn, a turn whose session the
 * server had forgotten, an end. Joined in order, they are the `state` events a story emits.
 */

/** `start()`: the session opens and waits for a message. */
export const STARTED = ['starting', 'awaitingInput'];
/** A message sent and answered. */
export const TURN = ['active', 'awaitingInput'];
/** A message the server answers with 404 (session expired): a new session, the message again. */
export const TURN_AFTER_EXPIRY = ['active', 'expired', 'starting', 'active', 'awaitingInput'];
/** `end()`: the DELETE, then closed. */
export const ENDED = ['ending', 'closed'];
