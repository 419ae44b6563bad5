/**
 * Library turn vs raw axios POST against a minimal in-process HTTP server (no emulator), CPU per
 * turn of the whole process (client + the same server work for both), interleaved rounds.
 * `node [--cpu-prof] --import tsx bench/profile/inproc.ts [turns] [only]`.
 */
import http from 'node:http';
import { createActor } from 'xstate';
import { AgentforceClient } from '../../src/index.js';
import { apiRequest, type ApiContext } from '../../src/http/request.js';
import { parseMessagesReply } from '../../src/http/parse.js';
import { createTransport } from '../../src/http/transport.js';
import { TokenManager, toAuthProvider } from '../../src/auth.js';
import { DEFAULT_RETRY } from '../../src/http/retry.js';
import { AGENT_ID, TEXT, axiosSend, sendBody, tunedAxios } from '../lib/wire.js';

const reply = JSON.stringify({
  messages: [
    {
      id: 'a672984d-a4da-429f-ad2f-560b6a6272b8',
      type: 'Inform',
      message: `You said: "${TEXT}". This is the Agentforce emulator's answer.`,
      isContentSafe: true,
      feedbackId: '3948a264-bc4a-447d-9d85-3dac8d1dd367',
      planId: '3948a264-bc4a-447d-9d85-3dac8d1dd367',
      result: [],
      citedReferences: [],
    },
  ],
  _links: { self: null },
});
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    const body = req.url?.endsWith('/sessions')
      ? JSON.stringify({ sessionId: 's1', messages: [] })
      : reply;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

const turns = Number(process.argv[2] ?? 3000);
const only = process.argv[3];
// A JWT-shaped token (unsigned): the client refuses a token that is not a JWT.
const token = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJiZW5jaCJ9.c2ln';
const client = new AgentforceClient({ myDomainUrl: base, apiBaseUrl: base, auth: token });
const session = client.session({ agentId: AGENT_ID });
await session.start();
const ax = tunedAxios();
const url = `${base}/einstein/ai-agent/v1/sessions/s1/messages`;
const headers = {
  accept: 'application/json',
  'content-type': 'application/json',
  authorization: 'Bearer token',
};
let seq = 0;
const transport = createTransport({ timeoutMs: 125_000, maxSockets: 256 });
const ctx: ApiContext = {
  http: transport,
  tokens: new TokenManager(
    toAuthProvider('token'),
    { myDomainUrl: base, http: transport, retry: DEFAULT_RETRY },
    () => Date.now(),
  ),
  retry: DEFAULT_RETRY,
  headers: { 'content-type': 'application/json' },
  apiBaseUrl: () => base,
};
let seq2 = 0;
const actor = createActor(client.machine, { input: { agentId: AGENT_ID, endpoint: base } });
actor.start();
actor.send({ type: 'START' });
await new Promise((r) => setTimeout(r, 100));
let done: () => void = () => undefined;
actor.on('turn.completed', () => done());
let t = 0;
const variants: Record<string, () => Promise<unknown>> = {
  library: () => session.send(TEXT),
  actor: () =>
    new Promise<void>((resolve) => {
      done = resolve;
      actor.send({ type: 'SEND', turnId: `t${++t}`, text: TEXT });
    }),
  apiRequest: async () =>
    parseMessagesReply(
      await apiRequest(ctx, {
        method: 'POST',
        path: '/einstein/ai-agent/v1/sessions/s1/messages',
        what: 'send message',
        body: sendBody(++seq2),
        signal: new AbortController().signal,
        repeatability: 'unsafe',
      }),
      'send message',
    ),
  axios: () => axiosSend(ax, url, headers, sendBody(++seq)),
};
const cpu: Record<string, number[]> = {};
for (let r = 0; r < 5; r++) {
  for (const [name, fn] of Object.entries(variants)) {
    if (only && only !== name) continue;
    for (let i = 0; i < 200; i++) await fn();
    const c = process.cpuUsage();
    for (let i = 0; i < turns; i++) await fn();
    const d = process.cpuUsage(c);
    (cpu[name] ??= []).push((d.user + d.system) / turns);
  }
}
const med = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1]!;
for (const [k, v] of Object.entries(cpu)) console.log(`${k}: ${med(v).toFixed(0)} µs CPU/turn`);
client.close();
server.close();
