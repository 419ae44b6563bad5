import type { ResponseMessage } from '../../api/index.js';
import { newApiId } from '../ids.js';
import type { MessageDraft } from './types.js';

/** Helpers to write message drafts, and the code that turns drafts into wire messages. */

type Extra = Readonly<Record<string, unknown>>;

/** An `Inform` draft: the agent's answer. */
export function inform(message: string, extra: Extra = {}): MessageDraft {
  return { type: 'Inform', message, ...extra };
}

/** An `Inquire` draft: the agent asks for more input. */
export function inquire(
  message: string,
  collect: readonly { targetType: string; targetProperty?: string; data?: unknown }[],
  extra: Extra = {},
): MessageDraft {
  return { type: 'Inquire', message, collect, ...extra };
}

/** A `Confirm` draft: the agent asks the user to approve an action. */
export function confirm(
  message: string,
  items: readonly { type: string; property?: string; value: unknown }[],
  extra: Extra = {},
): MessageDraft {
  return { type: 'Confirm', message, confirm: items, ...extra };
}

/** A `Failure` draft. */
export function failure(
  message: string,
  errors: readonly string[],
  extra: Extra = {},
): MessageDraft {
  return { type: 'Failure', message, code: 'ACTION_FAILED', errors, ...extra };
}

/** An `Escalate` draft: hand-off to a human. */
export function escalate(
  targets: readonly { type: string; value: string }[],
  extra: Extra = {},
): MessageDraft {
  return { type: 'Escalate', targets, ...extra };
}

/** A `SessionEnded` draft: the agent ends the session (the emulator then ends it server-side). */
export function sessionEnded(reason = 'Action', extra: Extra = {}): MessageDraft {
  return { type: 'SessionEnded', reason, ...extra };
}

const PLANNED = new Set(['Inform', 'Inquire', 'Confirm', 'Failure', 'Escalate']);
const SAFETY = new Set(['Inform', 'Inquire', 'Confirm', 'Failure']);

/**
 * Turns one draft into a wire message, filling in the defaults documented on
 * {@link MessageDraft}. `planId` is the plan id of the turn (`''` for a greeting).
 *
 * @throws TypeError when the draft is not an object with a non-empty string `type`.
 */
export function completeMessage(draft: unknown, planId: string): ResponseMessage {
  if (typeof draft !== 'object' || draft === null || Array.isArray(draft)) {
    throw new TypeError('a reply message must be an object');
  }
  const d = draft as MessageDraft;
  if (typeof d.type !== 'string' || d.type === '') {
    throw new TypeError('a reply message needs a non-empty string "type"');
  }
  const out: Record<string, unknown> = { type: d.type, id: newApiId() };
  const type = d.type;
  if (PLANNED.has(type)) {
    out.feedbackId = planId;
    out.planId = planId;
  }
  if (SAFETY.has(type)) out.isContentSafe = true;
  switch (type) {
    case 'Inform':
      out.message = '';
      out.result = [];
      out.citedReferences = [];
      break;
    case 'Failure':
      out.code = 'ACTION_FAILED';
      out.errors = [];
      break;
    case 'SessionEnded':
      out.reason = 'Action';
      out.feedbackId = '';
      break;
    case 'ProgressIndicator':
      out.indicatorType = 'ACTION';
      out.message = 'Working on it';
      break;
  }
  for (const key in d) {
    const value = d[key];
    if (value !== undefined) out[key] = value;
  }
  return out as unknown as ResponseMessage;
}

/**
 * Completes every draft of a reply.
 *
 * @throws TypeError when the reply is not an array or a draft is malformed.
 */
export function completeReply(reply: unknown, planId: string): ResponseMessage[] {
  if (!Array.isArray(reply)) throw new TypeError('an agent reply must be an array of messages');
  return reply.map((draft) => completeMessage(draft, planId));
}
