/**
 * What a session says while it runs, turned into CLI output: JSON lines for `--json`, and the
 * transcript's restart and close records. One listener per session, attached when it is made.
 */
import type { AgentSession } from '../index.js';
import type { JsonLines } from './output.js';
import type { Transcript } from './transcript.js';

/** A user message on its way. */
export interface Sending {
  text: string;
  /** The question it answers. */
  inReplyToMessageId?: string | undefined;
}

/**
 * Writes a JSON line for every state change, session start (and its greeting messages), message
 * sent, agent message, failure, stream event (when `stream`), expiry, restart, dropped reply and
 * the close. Returns a function that stops listening.
 *
 * @param sending - the user message being sent, and the question it answers (for the `sent` line).
 */
export function emitJson(
  session: AgentSession,
  json: JsonLines,
  options: { stream: boolean; sending: () => Sending | undefined },
): () => void {
  return session.on('*', (e) => {
    switch (e.type) {
      case 'state':
        json.write({ type: 'state', state: e.state, sessionId: session.sessionId });
        break;
      case 'session.started':
        json.write({ type: 'started', sessionId: e.sessionId });
        for (const message of e.messages) {
          json.write({ type: 'message', sessionId: e.sessionId, sequenceId: null, message });
        }
        break;
      case 'turn.sent':
        json.write({
          type: 'sent',
          sessionId: e.sessionId,
          sequenceId: e.sequenceId,
          text: options.sending()?.text ?? null,
          inReplyToMessageId: options.sending()?.inReplyToMessageId ?? null,
        });
        break;
      case 'turn.completed':
        for (const message of e.messages) {
          json.write({
            type: 'message',
            sessionId: e.sessionId,
            sequenceId: e.sequenceId,
            message,
          });
        }
        break;
      case 'turn.failed':
        json.write({ type: 'error', sessionId: session.sessionId, error: e.error });
        break;
      case 'turn.stream':
        if (options.stream) {
          json.write({
            type: 'stream',
            sessionId: session.sessionId,
            sequenceId: e.sequenceId,
            event: e.event,
          });
        }
        break;
      case 'session.expired':
        json.write({ type: 'expired', sessionId: e.sessionId, cause: e.cause });
        break;
      case 'session.restarted':
        json.write({
          type: 'restarted',
          previousSessionId: e.previousSessionId,
          sessionId: e.sessionId,
          restarts: e.restarts,
        });
        break;
      case 'reply.dropped':
        json.write({ type: 'dropped', sequenceId: e.sequenceId, expected: e.expected });
        break;
      case 'session.closed':
        json.write({ type: 'closed', outcome: e.outcome });
        break;
    }
  });
}

/** Records restarts and the close in the transcript. */
export function recordLifecycle(session: AgentSession, transcript: Transcript): () => void {
  const offRestart = session.on('session.restarted', (e) =>
    transcript.restarted(e.previousSessionId, e.sessionId),
  );
  const offClosed = session.on('session.closed', (e) => transcript.closed(e.outcome));
  return () => {
    offRestart();
    offClosed();
  };
}
