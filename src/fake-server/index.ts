/**
 * A local emulator of the Salesforce Agentforce Agent API (`agentforce-session/fake-server`):
 * token endpoint, sessions, sync and streamed messages, feedback, a scripted agent, fault
 * injection and a control API. See docs/emulator.md.
 */
export { startFakeAgentApi, type FakeAgentApi } from './server.js';
export {
  AGENT_TYPE_NAMES,
  DEFAULT_EMULATOR_AGENTS,
  EMULATOR_EMPLOYEE_AGENT_ID,
  EMULATOR_INACTIVE_AGENT_ID,
  EMULATOR_SERVICE_AGENT_ID,
  EMULATOR_UNATTACHED_AGENT_ID,
  type EmulatorAgent,
} from './agent-registry.js';
export { DEFAULTS, type FakeAgentApiOptions } from './options.js';
export {
  createEmulatorClock,
  wallClock,
  systemClock,
  type TimeSource,
  type Clock,
  type EmulatorClock,
} from './clock.js';
export { FaultInjector } from './fault-injector.js';
export { faultName } from './fault-names.js';
export { parseFault } from './fault-parse.js';
export {
  EMULATOR_ROUTES,
  type DelayFault,
  type DropFault,
  type DropMidStreamFault,
  type EmulatorRoute,
  type Fault,
  type FaultName,
  type FaultRoute,
  type MalformedFault,
  type NextFaultOptions,
  type PendingFault,
  type RandomFaultOptions,
  type SessionEndedFault,
  type SessionNotFoundFault,
  type StallFault,
  type StatusFault,
  type StreamErrorFault,
  type ValidationFailureFault,
} from './fault-types.js';
export type {
  FakeAgentApiStats,
  RecordedRequest,
  RecordedRoute,
  RequestOutcome,
} from './record.js';
export type { FeedbackRecord, SessionInfo, SessionStatus } from './sessions.js';
export type {
  AgentReply,
  AgentReplyFunction,
  AgentScript,
  AgentSessionInfo,
  AgentTurn,
  AgentTurnRecord,
  MessageDraft,
} from './agents/types.js';
export { confirm, escalate, failure, inform, inquire, sessionEnded } from './agents/drafts.js';
export {
  defaultAgent,
  defaultGreeting,
  defaultReply,
  DEFAULT_GREETING,
  ESCALATION_QUEUE_ID,
  LOOKUP_ORDER_INPUT,
  LOOKUP_ORDER_OUTPUT,
  CANCEL_ORDER_INPUT,
  CANCEL_ORDER_OUTPUT,
  RETURN_POLICY_ARTICLE,
} from './agents/default-agent.js';
export { chunkText, EVENT_NAMES } from './sse.js';
export { GRANTED_SCOPE } from './tokens.js';
export { decodeTokenClaims } from '../api/jwt.js';
