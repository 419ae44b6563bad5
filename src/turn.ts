/** What a caller gets back for a message: the public shape of an agent turn. */
import type {
  ConfirmMessage,
  InquireMessage,
  ResponseMessage,
  SessionEndedMessage,
} from './api/index.js';

/** The agent's reply to one user message (or the greeting of a new session). */
export interface Turn {
  /** The server session that answered. */
  sessionId: string;
  /** The `sequenceId` the message was sent with; undefined for a greeting. */
  sequenceId: number | undefined;
  /** Every message of the reply, in order, unknown types included. */
  messages: ResponseMessage[];
  /** The text of the reply: every message's `message` text, joined by blank lines. */
  text: string;
  /** The question the agent asked (`Inquire` or `Confirm`), to answer with `inReplyToMessageId`. */
  question: InquireMessage | ConfirmMessage | undefined;
  /** The `SessionEnded` message, when the server ended the session in this reply. */
  ended: SessionEndedMessage | undefined;
}

const TEXT_TYPES = new Set(['Inform', 'Inquire', 'Confirm', 'Failure', 'Escalate']);

/** Builds a {@link Turn} from the messages of a reply. */
export function toTurn(
  sessionId: string,
  sequenceId: number | undefined,
  messages: ResponseMessage[],
): Turn {
  const texts: string[] = [];
  let question: Turn['question'];
  let ended: Turn['ended'];
  for (const m of messages) {
    if (TEXT_TYPES.has(m.type) && typeof m['message'] === 'string' && m['message'] !== '') {
      texts.push(m['message']);
    }
    if (m.type === 'Inquire' || m.type === 'Confirm')
      question = m as InquireMessage | ConfirmMessage;
    if (m.type === 'SessionEnded') ended = m as SessionEndedMessage;
  }
  return { sessionId, sequenceId, messages, text: texts.join('\n\n'), question, ended };
}
