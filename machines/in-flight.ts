/** The message in flight, read where the chart holds one, and the request that sends it. */
import type { InFlightTurn, SendMessageInput, SessionContext } from './session.types.js';

/**
 * The message in flight. The chart holds one in every state and transition that reads it: all of
 * `active` (a message is put in flight on the way in) and after `hasTurnInFlight`, `isCurrentReply`
 * or `isCurrentStreamEvent`. Without one, the chart is broken: the action fails loudly rather than
 * report a message that does not exist.
 */
export function inFlightOf(context: SessionContext): InFlightTurn {
  // Stryker disable next-line ConditionalExpression,BlockStatement,StringLiteral: the chart never reads a missing message in flight (see above), so no test can take this branch
  if (context.inFlight === null) throw new Error('session machine: no message in flight');
  return context.inFlight;
}

/** The input of `sendMessage` and `streamMessage`: the message in flight, on its own session. */
export function sendInputOf(context: SessionContext): SendMessageInput {
  const turn = inFlightOf(context);
  const input: SendMessageInput = {
    sessionId: turn.sessionId,
    sequenceId: turn.sequenceId,
    text: turn.text,
  };
  if (turn.inReplyToMessageId !== undefined) input.inReplyToMessageId = turn.inReplyToMessageId;
  if (turn.variables !== undefined) input.variables = turn.variables;
  if (turn.transfer !== undefined) input.transfer = turn.transfer;
  return input;
}
