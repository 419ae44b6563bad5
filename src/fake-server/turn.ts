import { SendMessageRequestSchema, type ResponseMessage, type Variable } from '../api/index.js';
import { completeReply } from './agents/drafts.js';
import type { AgentTurn } from './agents/types.js';
import type { Exchange } from './exchange.js';
import type { JsonReply } from './reply.js';
import { newApiId } from './ids.js';
import { pushHistory, type Session } from './sessions.js';

/** One user turn (sync send or stream): checks, the session lock, the agent, and the session's end. */

/** A processed turn, ready to be answered. */
export interface ProcessedTurn {
  readonly session: Session;
  readonly messages: readonly ResponseMessage[];
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The 500 message of a turn that ran past the server's budget. */
export function turnBudgetMessage(budgetMs: number): string {
  return `The request did not complete within ${budgetMs / 1000} s`;
}

const OVER_BUDGET = Symbol('over budget');

/** `work`, or {@link OVER_BUDGET} when it takes longer than `ms` real milliseconds. */
async function withinBudget<T>(work: Promise<T>, ms: number): Promise<T | typeof OVER_BUDGET> {
  let timer: NodeJS.Timeout | undefined;
  const over = new Promise<typeof OVER_BUDGET>((resolve) => {
    timer = setTimeout(() => resolve(OVER_BUDGET), ms);
  });
  try {
    return await Promise.race([work, over]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the checks of a send (auth, body, session, lock, sequence), then the agent, and records
 * the turn. The session stays locked (held by the exchange) until the reply is sent. Returns the
 * error reply when a check fails.
 */
export async function processTurn(
  exchange: Exchange,
  sessionId: string,
  streaming: boolean,
): Promise<ProcessedTurn | JsonReply> {
  const { state } = exchange;
  const parsed = exchange.validate(SendMessageRequestSchema);
  if (!parsed.ok) return parsed.reply;
  const request = parsed.value;
  const session = exchange.openSession(sessionId);
  if (!('id' in session)) return session;
  if (session.inFlight) return exchange.error(423);
  const sequenceId = request.message.sequenceId;
  if (
    state.options.strictSequence &&
    session.lastSequenceId !== undefined &&
    sequenceId <= session.lastSequenceId
  ) {
    return exchange.badRequest(
      `Invalid sequenceId: ${sequenceId} must be greater than the last sequenceId ${session.lastSequenceId}`,
    );
  }
  exchange.holdLock(session);
  session.sequenceIds.push(sequenceId);
  session.lastSequenceId =
    session.lastSequenceId === undefined
      ? sequenceId
      : Math.max(session.lastSequenceId, sequenceId);
  session.turns++;

  const sent: readonly Variable[] = request.variables ?? [];
  for (const v of sent) session.variables.set(v.name, v);
  const message = request.message;
  const turn: AgentTurn = {
    sessionId: session.id,
    agentId: session.agentId,
    sequenceId,
    text: message.type === 'Text' ? message.text : '',
    message,
    variables: sent,
    sessionVariables: Object.fromEntries(session.variables),
    inReplyToMessageId: message.inReplyToMessageId,
    history: session.history.slice(),
    state: session.state,
    streaming,
  };

  let messages: ResponseMessage[];
  try {
    const planId = newApiId();
    const budget = state.options.turnBudgetMs;
    const reply = await withinBudget(Promise.resolve(state.agent.reply(turn)), budget);
    if (reply === OVER_BUDGET) {
      return exchange.error(500, 'HttpServerErrorException', turnBudgetMessage(budget));
    }
    messages = completeReply(reply, planId);
  } catch (err) {
    return exchange.error(500, 'HttpServerErrorException', `The agent failed: ${errorText(err)}`);
  }

  const fault = exchange.fault;
  let endReason = session.pendingServerEnd;
  if (fault !== undefined && 'sessionEnded' in fault) endReason = fault.reason ?? 'Action';
  if (endReason !== undefined && !messages.some((m) => m.type === 'SessionEnded')) {
    messages.push({ type: 'SessionEnded', id: newApiId(), reason: endReason, feedbackId: '' });
  }
  session.pendingServerEnd = undefined;
  for (const m of messages) {
    if (typeof m.feedbackId === 'string' && m.feedbackId !== '')
      session.feedbackIds.add(m.feedbackId);
  }
  pushHistory(session, { sequenceId, message, reply: messages });
  const ended = messages.find((m) => m.type === 'SessionEnded');
  if (ended !== undefined) {
    const reason = typeof ended.reason === 'string' ? ended.reason : 'Action';
    state.sessions.end(session.id, 'server', reason, exchange.now());
  }
  return { session, messages };
}
