/**
 * The session machine's named actors, implemented over HTTP, and its idle deadline on the client's
 * clock. Each request actor passes the machine's abort signal down, so leaving a state cancels its
 * request.
 */
import { fromPromise } from 'xstate';
import { idleDeadlineOn } from '../../machines/idle-deadline.js';
import type {
  AuthorizeInput,
  AuthorizeOutput,
  EndSessionInput,
  EndSessionOutput,
  SendMessageInput,
  SendMessageOutput,
  StartSessionInput,
  StartSessionOutput,
} from '../../machines/session.types.js';
import { apiPaths, type StartSessionRequest } from '../api/index.js';
import type { AgentDirectory } from '../agent-lookup.js';
import type { ApiContext } from '../http/request.js';
import { apiRequest } from '../http/request.js';
import { parseMessagesReply, parseStartReply } from '../http/parse.js';
import type { Clock } from '../options.js';
import { messageBody } from './message-body.js';
import { createStreamActor, type StreamOptions } from './stream-message.js';

/**
 * Builds the machine's actors for one client. `agents` turns a session's agent API name into its
 * id when the session starts (a session made with `agentName`).
 */
export function createSessionActors(
  ctx: ApiContext,
  clock: Clock,
  stream: StreamOptions,
  agents?: AgentDirectory,
) {
  return {
    authorize: fromPromise<AuthorizeOutput, AuthorizeInput>(async ({ signal }) => {
      await ctx.tokens.get(signal);
      return { expiresAt: ctx.tokens.expiresAt };
    }),

    startSession: fromPromise<StartSessionOutput, StartSessionInput>(async ({ input, signal }) => {
      const body: StartSessionRequest = {
        externalSessionKey: input.externalSessionKey,
        instanceConfig: { endpoint: input.endpoint },
        streamingCapabilities: { chunkTypes: ['Text'] },
        bypassUser: input.bypassUser,
      };
      if (input.tz !== null) body.tz = input.tz;
      if (input.variables !== null) body.variables = input.variables;
      const agentId = agents ? await agents.agentId(input.agentId, signal) : input.agentId;
      const res = await apiRequest(ctx, {
        method: 'POST',
        path: apiPaths.startSession(agentId),
        what: 'start session',
        body,
        signal,
        repeatability: 'unsafe',
      });
      return parseStartReply(res, 'start session');
    }),

    sendMessage: fromPromise<SendMessageOutput, SendMessageInput>(async ({ input, signal }) => {
      const res = await apiRequest(ctx, {
        method: 'POST',
        path: apiPaths.messages(input.sessionId),
        what: 'send message',
        body: messageBody(input),
        signal,
        repeatability: 'unsafe',
      });
      return {
        sessionId: input.sessionId,
        sequenceId: input.sequenceId,
        messages: parseMessagesReply(res, 'send message'),
      };
    }),

    endSession: fromPromise<EndSessionOutput, EndSessionInput>(async ({ input, signal }) => {
      const res = await apiRequest(ctx, {
        method: 'DELETE',
        path: apiPaths.session(input.sessionId),
        what: 'end session',
        headers: { 'x-session-end-reason': input.reason },
        signal,
        repeatability: 'idempotent',
      });
      return { messages: parseMessagesReply(res, 'end session', { allowEmpty: true }) };
    }),

    streamMessage: createStreamActor(ctx, stream),

    idleDeadline: idleDeadlineOn(clock),
  };
}
