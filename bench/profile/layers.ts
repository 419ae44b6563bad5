/**
 * A turn layer by layer, against an emulator in another process, client CPU per turn, interleaved
 * rounds: raw axios (as the library configures it), the library's `apiRequest` + reply parsing,
 * the session actor (`actor.send`), and `AgentSession.send()`.
 * `node --import tsx bench/profile/layers.ts <bench emulator url> [turns] [rounds]`.
 */
import { createActor } from 'xstate';
import { TokenManager, toAuthProvider } from '../../src/auth.js';
import { parseMessagesReply } from '../../src/http/parse.js';
import { apiRequest, type ApiContext } from '../../src/http/request.js';
import { DEFAULT_RETRY } from '../../src/http/retry.js';
import { createTransport, destroyTransport } from '../../src/http/transport.js';
import {
  AGENT_ID,
  TEXT,
  apiPaths,
  endpointOf,
  libraryClient,
  rawAxiosTurns,
  sendBody,
  startRawSession,
  tunedAxios,
} from '../lib/wire.js';

const url = process.argv[2];
if (!url) throw new Error('usage: profile/layers.ts <url> [turns] [rounds]');
const turns = Number(process.argv[3] ?? 1500);
const rounds = Number(process.argv[4] ?? 5);
const ep = await endpointOf(url);

const ax = tunedAxios();
const axiosTurn = await rawAxiosTurns(ep, ax);

const transport = createTransport({ timeoutMs: 125_000, maxSockets: 256 });
const ctx: ApiContext = {
  http: transport,
  tokens: new TokenManager(
    toAuthProvider(ep.token),
    { myDomainUrl: url, http: transport, retry: DEFAULT_RETRY },
    () => Date.now(),
  ),
  retry: DEFAULT_RETRY,
  headers: { 'content-type': 'application/json' },
  apiBaseUrl: () => ep.apiBase,
};
const reqId = await startRawSession(ep, ax);
let reqSeq = 0;

const client = libraryClient(url);
const actor = createActor(client.machine, { input: { agentId: AGENT_ID, endpoint: url } });
let done: () => void = () => undefined;
actor.on('turn.completed', () => done());
actor.start();
actor.send({ type: 'START' });
await new Promise<void>((resolve) => {
  const sub = actor.on('session.started', () => {
    sub.unsubscribe();
    resolve();
  });
});
let actorTurn = 0;

const session = client.session({ agentId: AGENT_ID });
await session.start();

const layers: Record<string, () => Promise<unknown>> = {
  axios: axiosTurn,
  apiRequest: async () =>
    parseMessagesReply(
      await apiRequest(ctx, {
        method: 'POST',
        path: apiPaths.messages(reqId),
        what: 'send message',
        body: sendBody(++reqSeq),
        signal: new AbortController().signal,
        repeatability: 'unsafe',
      }),
      'send message',
    ),
  actor: () =>
    new Promise<void>((resolve) => {
      done = resolve;
      actor.send({ type: 'SEND', turnId: `t${++actorTurn}`, text: TEXT });
    }),
  session: () => session.send(TEXT),
};
const cpu: Record<string, number[]> = {};
const wall: Record<string, number[]> = {};
for (const fn of Object.values(layers)) for (let i = 0; i < 200; i++) await fn();
for (let r = 0; r < rounds; r++) {
  const names = Object.keys(layers);
  for (const name of names.map((_, i) => names[(i + r) % names.length]!)) {
    const fn = layers[name]!;
    const c = process.cpuUsage();
    const t = process.hrtime.bigint();
    for (let i = 0; i < turns; i++) await fn();
    const d = process.cpuUsage(c);
    (wall[name] ??= []).push(Number(process.hrtime.bigint() - t) / 1000 / turns);
    (cpu[name] ??= []).push((d.user + d.system) / turns);
  }
}
const med = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1]!;
for (const name of Object.keys(layers)) {
  console.log(
    `${name.padEnd(11)} ${med(cpu[name]!).toFixed(0).padStart(6)} µs CPU  ${med(wall[name]!).toFixed(0).padStart(6)} µs wall per turn`,
  );
}
client.close();
destroyTransport(transport);
process.exit(0);
