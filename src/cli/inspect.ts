/**
 * Live inspection for the CLI (`chat --inspect`) and for local development: starts the
 * `@statelyai/inspect` relay server on loopback and a WebSocket inspector connected to it, with
 * every event redacted (see src/inspect.ts). Open `url` in a browser to watch the sessions in
 * Stately's inspector.
 */
import type * as InspectServer from '@statelyai/inspect/server';
import http from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import type { InspectionEvent, Observer } from 'xstate';
import { sanitizeInspector, statelyInspectorOptions } from '../inspect.js';
import type { SanitizeOptions } from '../redact.js';
import { importOptional } from '../optional-dependency.js';

/** `@statelyai/inspect` is an optional peer dependency: loaded only when an inspector starts. */
const FEATURE = 'the live inspector (--inspect)';
const PACKAGE = '@statelyai/inspect';

/** Options of {@link startInspector}. */
export interface StartInspectorOptions {
  /** Port of the relay (HTTP page + WebSocket); 0 picks a free one. @default 0 */
  port?: number | undefined;
  /** Strings that must never reach the inspector (e.g. the client secret), on top of the patterns. */
  secrets?: readonly string[] | undefined;
  /** The inspector UI the relay page embeds. @default 'https://stately.ai/inspect' */
  inspectorUrl?: string | undefined;
}

/** A running inspector. */
export interface RunningInspector {
  /** Pass to `new AgentforceClient({ ..., inspect })`: every event is redacted before it leaves. */
  inspect: Observer<InspectionEvent>;
  /** Open this page in a browser to watch the sessions live (`http://localhost:PORT`). */
  url: string;
  /** The WebSocket the events are relayed through (`ws://localhost:PORT`). */
  webSocketUrl: string;
  /** Stops the inspector and the relay. Idempotent. */
  close(): Promise<void>;
}

function freePort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `inspector: port ${port} is already in use`
            : `inspector: cannot listen on port ${port}: ${err.message}`,
        ),
      ),
    );
    // Same interfaces as the relay server (it listens on every interface).
    probe.listen(port, () => {
      const address = probe.address();
      const chosen = typeof address === 'object' && address !== null ? address.port : port;
      probe.close(() => resolve(chosen));
    });
  });
}

async function waitListening(port: number, attempts = 50): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`inspector: the relay did not start on port ${port}`);
}

/**
 * Starts `createInspectorServer` and keeps a handle on the HTTP server it creates (the package
 * does not return it): to see a listen error, and to close the connections `stop()` leaves open.
 */
function startRelay(
  createInspectorServer: typeof InspectServer.createInspectorServer,
  port: number,
  inspectorUrl: string | undefined,
): { relay: { stop(): void }; httpServer: http.Server | undefined } {
  const original = http.createServer;
  let httpServer: http.Server | undefined;
  http.createServer = ((...args: Parameters<typeof http.createServer>) => {
    httpServer = original(...args);
    return httpServer;
  }) as typeof http.createServer;
  try {
    const relay = createInspectorServer({
      port,
      autoOpen: false,
      ...(inspectorUrl !== undefined && { url: inspectorUrl }),
    });
    return { relay, httpServer };
  } finally {
    http.createServer = original;
  }
}

/**
 * Starts a local inspector (it needs `@statelyai/inspect`, an optional peer dependency): the relay (`createInspectorServer`, not opening
 * a browser) and a `createWebSocketInspector` connected to it. Returns the sanitizing `inspect`
 * observer to give to {@link AgentforceClient}, the page to open, and `close()`.
 *
 * @example
 * ```ts
 * const inspector = await startInspector({ secrets: [clientSecret] });
 * console.error(`inspect at ${inspector.url}`);
 * const client = new AgentforceClient({ myDomainUrl, auth, inspect: inspector.inspect });
 * // ...
 * await inspector.close();
 * ```
 */
export async function startInspector(
  options: StartInspectorOptions = {},
): Promise<RunningInspector> {
  const requested = options.port ?? 0;
  if (!Number.isInteger(requested) || requested < 0 || requested > 65535) {
    throw new TypeError(`inspector: port must be an integer 0-65535 (got ${String(requested)})`);
  }
  const [{ createWebSocketInspector }, { createInspectorServer }] = await Promise.all([
    importOptional(() => import('@statelyai/inspect'), PACKAGE, FEATURE),
    importOptional(() => import('@statelyai/inspect/server'), PACKAGE, FEATURE),
  ]);
  const port = await freePort(requested);
  const { relay, httpServer } = startRelay(createInspectorServer, port, options.inspectorUrl);
  // The relay's WebSocket connections (a browser page, receivers): `stop()` leaves them open,
  // which would keep the process alive, so they are tracked and closed here.
  const sockets = new Set<Socket>();
  httpServer?.on('upgrade', (_req: unknown, socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  let listenError: Error | undefined;
  httpServer?.on('error', (err: Error) => (listenError = err));
  try {
    await waitListening(port);
  } catch (err) {
    relay.stop();
    throw listenError ?? err;
  }
  const sanitize: SanitizeOptions = { secrets: options.secrets };
  const webSocketUrl = `ws://localhost:${port}`;
  const ws = createWebSocketInspector({
    url: `ws://127.0.0.1:${port}`,
    ...statelyInspectorOptions(sanitize),
  });
  let closing: Promise<void> | undefined;
  return {
    inspect: sanitizeInspector(ws.inspect, sanitize),
    url: `http://localhost:${port}`,
    webSocketUrl,
    close() {
      closing ??= new Promise<void>((resolve) => {
        // Let events queued by the inspector (it converts them on a timer) go out first.
        setTimeout(() => {
          ws.stop();
          relay.stop();
          for (const socket of sockets) socket.destroy();
          httpServer?.closeAllConnections();
          resolve();
        }, 20);
      });
      return closing;
    },
  };
}
