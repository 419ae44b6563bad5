/**
 * The emulator for the client benchmarks, in its own process: zero agent latency, no pause
 * between SSE events, and the default agent plus one trigger for long streamed replies:
 * `burst N <text>` answers with N `Inform`s (each streamed as text chunks and the message).
 * Prints `listening on <url>` first, like `agentforce-session fake-server`.
 */
import {
  defaultAgent,
  inform,
  startFakeAgentApi,
  type AgentReply,
  type AgentTurn,
} from '../../src/fake-server/index.js';

const BURST = /^burst (\d+) /;

function reply(turn: AgentTurn): AgentReply | Promise<AgentReply> {
  const match = BURST.exec(turn.text);
  if (!match) return defaultAgent.reply(turn);
  const n = Math.min(Number(match[1]), 1000);
  const out = [];
  for (let i = 0; i < n; i++) out.push(inform(`Part ${i + 1} of ${n}. You said: "${turn.text}".`));
  return out;
}

const api = await startFakeAgentApi({
  anyAgentId: true,
  port: 0,
  latencyMs: 0,
  streamChunkDelayMs: 0,
  agent: { reply, ...(defaultAgent.greeting ? { greeting: defaultAgent.greeting } : {}) },
});
process.stdout.write(`listening on ${api.url}\n`);

const stop = () => {
  api.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
