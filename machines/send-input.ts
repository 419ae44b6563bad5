import type { SendMessageInput, SessionContext } from './session.types.js';

/** The input of `sendMessage` and `streamMessage`: the message in flight, on its own session. */
export function sendInputOf(context: SessionContext): SendMessageInput {
  const turn = context.inFlight;
  const input: SendMessageInput = {
    sessionId: turn?.sessionId ?? context.sessionId ?? '',
    sequenceId: turn?.sequenceId ?? context.lastSequenceId,
    text: turn?.text ?? '',
  };
  if (turn?.inReplyToMessageId !== undefined) input.inReplyToMessageId = turn.inReplyToMessageId;
  if (turn?.variables !== undefined) input.variables = turn.variables;
  if (turn?.transfer !== undefined) input.transfer = turn.transfer;
  return input;
}
