/** The body of a message request, the same for a reply at once and a streamed one. */
import type { SendMessageInput } from '../../machines/session.types.js';
import type { SendMessageRequest } from '../api/index.js';

/** The request body for the machine's message input: the text, or the transfer report instead. */
export function messageBody(input: SendMessageInput): SendMessageRequest {
  const message: SendMessageRequest['message'] = input.transfer
    ? { ...input.transfer, sequenceId: input.sequenceId }
    : { type: 'Text', sequenceId: input.sequenceId, text: input.text };
  if (input.inReplyToMessageId !== undefined) message.inReplyToMessageId = input.inReplyToMessageId;
  return { message, variables: input.variables ?? [] };
}
