/**
 * The raw baselines: the same Agent API requests the library sends, made with bare `node:http`
 * and with axios, to the same emulator. Bodies and headers have the library's shapes.
 */
import axios, { type AxiosInstance } from 'axios';
import http from 'node:http';
import { TOKEN_PATH, apiPaths, joinUrl } from '../../src/api/index.js';
import { createTransport } from '../../src/http/transport.js';
import { AgentforceClient, clientCredentials, type ClientOptions } from '../../src/index.js';
import { resolveClientOptions } from '../../src/options.js';

export const AGENT_ID = '0XxSB000000IPCr0AO';
/** A user message of about the size the baselines were measured with. */
export const TEXT = 'Hello, I have a question about my delivery, can you help me with it please?';

export interface Endpoint {
  /** The emulator's base URL (My Domain and token host). */
  url: string;
  /** The Agent API base (`api_instance_url`). */
  apiBase: string;
  token: string;
}

/** A library client against the emulator. */
export function libraryClient(url: string, extra: Partial<ClientOptions> = {}): AgentforceClient {
  return new AgentforceClient({
    myDomainUrl: url,
    auth: clientCredentials({ clientId: 'bench', clientSecret: 'bench' }),
    ...extra,
  });
}

/** Fetches a token from the emulator's token endpoint. */
export async function endpointOf(url: string): Promise<Endpoint> {
  const res = await axios.post<{ access_token: string; api_instance_url?: string }>(
    joinUrl(url, TOKEN_PATH),
    'grant_type=client_credentials&client_id=bench&client_secret=bench',
    { headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  );
  return { url, apiBase: res.data.api_instance_url ?? url, token: res.data.access_token };
}

/** Headers of every Agent API request, as the library sends them. */
export function apiHeaders(ep: Endpoint): Record<string, string> {
  return {
    accept: 'application/json',
    'content-type': 'application/json',
    authorization: `Bearer ${ep.token}`,
  };
}

/** The start-session body the library sends. */
export function startBody(url: string): unknown {
  return {
    externalSessionKey: globalThis.crypto.randomUUID(),
    instanceConfig: { endpoint: url },
    streamingCapabilities: { chunkTypes: ['Text'] },
    bypassUser: true,
  };
}

/** The send-message body the library sends. */
export function sendBody(sequenceId: number, text = TEXT): unknown {
  return { message: { type: 'Text', sequenceId, text }, variables: [] };
}

/** Starts a server session with a plain axios POST; returns its id. */
export async function startRawSession(ep: Endpoint, ax: AxiosInstance = axios): Promise<string> {
  const res = await ax.post<{ sessionId: string }>(
    joinUrl(ep.apiBase, apiPaths.startSession(AGENT_ID)),
    startBody(ep.url),
    { headers: apiHeaders(ep) },
  );
  if (res.status !== 200 || typeof res.data.sessionId !== 'string')
    throw new Error(`start session: HTTP ${res.status}`);
  return res.data.sessionId;
}

/** A server session started without the library: where its messages go, and their bodies. */
export interface RawSession {
  messagesUrl: string;
  /** The body of its next message: `sequenceId` one higher on each call. */
  nextBody(): unknown;
}

/** Starts a server session with a plain POST through `ax`, ready for raw turns. */
export async function openRawSession(ep: Endpoint, ax: AxiosInstance = axios): Promise<RawSession> {
  const sessionId = await startRawSession(ep, ax);
  let sequenceId = 0;
  return {
    messagesUrl: joinUrl(ep.apiBase, apiPaths.messages(sessionId)),
    nextBody: () => sendBody(++sequenceId),
  };
}

/** The raw axios baseline: a session started through `ax`, and a function sending its next turn. */
export async function rawAxiosTurns(
  ep: Endpoint,
  ax: AxiosInstance,
): Promise<() => Promise<unknown>> {
  const session = await openRawSession(ep, ax);
  const headers = apiHeaders(ep);
  return () => axiosSend(ax, session.messagesUrl, headers, session.nextBody());
}

/**
 * A token and `count` server sessions started one after another without the library: the
 * sessions a load test of the emulator sends its messages to, with the headers to send them.
 */
export async function rawSessions(
  url: string,
  count: number,
): Promise<{ headers: Record<string, string>; ids: string[] }> {
  const ep = await endpointOf(url);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await startRawSession(ep));
  return { headers: apiHeaders(ep), ids };
}

/**
 * The autocannon request of the emulator load tests: each request is a message to the next of
 * `ids`, its `sequenceId` counting up across them (the emulator under load is not strict).
 */
export function messageRequest(
  headers: Record<string, string>,
  ids: readonly string[],
  text: string,
) {
  let n = 0;
  return {
    method: 'POST',
    headers,
    setupRequest: <R extends object>(req: R) => {
      const i = n++;
      return {
        ...req,
        path: apiPaths.messages(ids[i % ids.length]!),
        body: JSON.stringify(sendBody(i + 1, text)),
      };
    },
  };
}

/** Ends a server session (best effort). */
export async function endRawSession(ep: Endpoint, sessionId: string): Promise<void> {
  await axios
    .delete(joinUrl(ep.apiBase, apiPaths.session(sessionId)), {
      headers: { ...apiHeaders(ep), 'x-session-end-reason': 'UserRequest' },
      validateStatus: () => true,
    })
    .catch(() => undefined);
}

/**
 * A keep-alive agent as a careful user would make one. The timeout makes Node honour the
 * server's `Keep-Alive: timeout` hint (idle sockets close before the server closes them).
 */
export function keepAliveAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, timeout: 60_000 });
}

/** axios with a keep-alive agent and nothing else changed (follows redirects). */
export function defaultAxios(agent = keepAliveAgent()): AxiosInstance {
  return axios.create({ httpAgent: agent });
}

/**
 * axios exactly as the library configures it: the library's own transport (keep-alive agents,
 * `maxRedirects: 0`, `proxy: false` when no proxy is set, its timeout), with the client's default
 * settings. A ratio against it measures what the library adds on top of the same HTTP client.
 */
export function tunedAxios(): AxiosInstance {
  const { timeoutMs, maxSockets } = resolveClientOptions({
    myDomainUrl: 'http://127.0.0.1',
    auth: 'bench',
  });
  return createTransport({ timeoutMs, maxSockets });
}

/** POSTs a JSON body with axios and checks the reply has messages. */
export async function axiosSend(
  ax: AxiosInstance,
  url: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<unknown> {
  const res = await ax.post<{ messages?: unknown[] }>(url, body, { headers });
  if (res.status !== 200 || !Array.isArray(res.data.messages))
    throw new Error(`send: HTTP ${res.status}`);
  return res.data;
}

/** POSTs a JSON body with bare `node:http`, reads and parses the JSON reply. */
export function nodeSend(
  agent: http.Agent,
  url: URL,
  headers: Record<string, string>,
  body: unknown,
): Promise<unknown> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    nodePost(
      { agent, url, headers, payload },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            const data = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
              messages?: unknown[];
            };
            if (res.statusCode !== 200 || !Array.isArray(data.messages))
              reject(new Error(`send: HTTP ${res.statusCode}`));
            else resolve(data);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
        res.on('error', reject);
      },
      reject,
    );
  });
}

/**
 * A bare `node:http` POST of `payload` (JSON text) on `agent`: `onResponse` reads the reply,
 * `onError` gets a failed request.
 */
export function nodePost(
  request: { agent: http.Agent; url: URL; headers: Record<string, string>; payload: string },
  onResponse: (res: http.IncomingMessage) => void,
  onError: (err: Error) => void,
): void {
  const { agent, url, headers, payload } = request;
  const req = http.request(
    {
      agent,
      method: 'POST',
      hostname: url.hostname,
      port: url.port,
      path: url.pathname,
      headers: { ...headers, 'content-length': Buffer.byteLength(payload) },
    },
    onResponse,
  );
  req.on('error', onError);
  req.end(payload);
}

export { apiPaths, joinUrl };
