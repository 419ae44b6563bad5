/**
 * The HTTP transport: one axios instance per client with keep-alive connections, no redirects (the
 * Agent API never redirects) and every status handed back for {@link ./errors.ts} to map.
 */
import axios, { type AxiosInstance } from 'axios';
import http from 'node:http';
import https from 'node:https';

export interface TransportOptions {
  /** Per-request timeout in ms. */
  timeoutMs: number;
  /** Most sockets per host. */
  maxSockets: number;
}

/** The environment variables axios reads a proxy from (either case). */
const PROXY_ENV = ['http_proxy', 'https_proxy', 'all_proxy'];

/** Whether a proxy is configured in the environment now. */
function proxyInEnv(): boolean {
  return PROXY_ENV.some((k) => !!(process.env[k] || process.env[k.toUpperCase()]));
}

export function createTransport(options: TransportOptions): AxiosInstance {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets,
    scheduling: 'lifo' as const,
    // With a timeout, Node's agent also honours the server's `Keep-Alive: timeout=N` hint and
    // drops an idle socket before the server does; without one it keeps idle sockets forever and
    // a request on a socket the server is closing fails with ECONNRESET.
    timeout: options.timeoutMs,
  };
  return axios.create({
    timeout: options.timeoutMs,
    maxRedirects: 0,
    validateStatus: () => true,
    httpAgent: new http.Agent(agentOptions),
    httpsAgent: new https.Agent(agentOptions),
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: true },
    headers: { accept: 'application/json' },
    // Without a proxy in the environment when the client is made, skip axios's per-request
    // lookup of one (URL parse and environment reads on every request); with one, axios uses it.
    ...(proxyInEnv() ? {} : { proxy: false as const }),
  });
}

/** Closes the keep-alive sockets of a transport made by {@link createTransport}. */
export function destroyTransport(instance: AxiosInstance): void {
  (instance.defaults.httpAgent as http.Agent | undefined)?.destroy();
  (instance.defaults.httpsAgent as https.Agent | undefined)?.destroy();
}
