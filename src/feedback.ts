/**
 * Feedback on a reply (`POST /sessions/{id}/feedback`): a plain request beside the session
 * machine, since it changes nothing in the conversation (no `sequenceId`, no turn).
 */
import { apiPaths, FeedbackRequestSchema, type FeedbackRequest } from './api/index.js';
import type { ResponseMessage } from './api/index.js';
import { InvalidArgumentError } from './errors.js';
import { apiRequest, type ApiContext } from './http/request.js';
import type { Turn } from './turn.js';

/** A rating: thumbs up or down. */
export type FeedbackRating = 'GOOD' | 'BAD';

/**
 * What is rated: a {@link Turn} (its last message that has a `feedbackId`), one message of a
 * reply, the `id` of a message this session received, or a `feedbackId` as the API knows it (e.g.
 * kept from another process).
 */
export type FeedbackTarget = Turn | ResponseMessage | string | { feedbackId: string };

/** Options of {@link AgentSession.feedback}. */
export interface FeedbackOptions {
  /** A comment with the rating. */
  text?: string | undefined;
  /** Up to 10 key/value details. */
  details?: Record<string, unknown> | undefined;
  /** Cancels the request. */
  signal?: AbortSignal | undefined;
}

/** Sends feedback for one server session. */
export type FeedbackSender = (
  sessionId: string,
  body: FeedbackRequest,
  signal?: AbortSignal,
) => Promise<void>;

/** The client's feedback request: any 2xx is success (the reference says 202, its guide 201). */
export function feedbackSender(ctx: ApiContext): FeedbackSender {
  return async (sessionId, body, signal) => {
    await apiRequest(ctx, {
      method: 'POST',
      path: apiPaths.feedback(sessionId),
      what: 'send feedback',
      body,
      signal,
      // A rating sent twice is counted twice: repeat only what surely did not reach the server.
      repeatability: 'unsafe',
    });
  };
}

/** The `feedbackId` of a message, when it has a non-empty one. */
export function feedbackIdOf(message: ResponseMessage): string | undefined {
  const id = (message as { feedbackId?: unknown }).feedbackId;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** Checks the rating and options and builds the request body. */
export function feedbackBody(
  feedbackId: string,
  rating: unknown,
  options: FeedbackOptions,
): FeedbackRequest {
  if (rating !== 'GOOD' && rating !== 'BAD') {
    throw new InvalidArgumentError(
      `feedback must be 'GOOD' or 'BAD' (got ${JSON.stringify(rating)})`,
    );
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('feedback options must be an object');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('signal must be an AbortSignal');
  }
  const body: FeedbackRequest = { feedbackId, feedback: rating };
  if (options.text !== undefined) body.text = options.text;
  if (options.details !== undefined) body.details = options.details;
  const parsed = FeedbackRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidArgumentError(
      `feedback ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'is not valid'}`,
    );
  }
  return body;
}
