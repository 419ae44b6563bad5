/**
 * Opens what a command talks to: an {@link AgentforceClient} for the resolved connection, with the
 * embedded emulator started first when there is no org, and the live inspector when asked.
 */
import {
  startFakeAgentApi,
  type FakeAgentApi,
  type FakeAgentApiOptions,
} from '../fake-server/index.js';
import {
  AgentforceClient,
  clientCredentials,
  type ClientOptions,
  type RetryNotice,
} from '../index.js';
import type { Connection, Target } from './config.js';
import type { RunningInspector } from './inspect.js';

/** A client ready to open sessions, and what to close afterwards. */
export interface Connected {
  client: AgentforceClient;
  connection: Connection;
  /** The My Domain URL in use (the emulator's URL for the embedded one). */
  myDomainUrl: string;
  /** The embedded emulator, when one was started. */
  emulator: FakeAgentApi | undefined;
  /** Closes the client, the inspector and the embedded emulator. Idempotent. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Start the live inspector and print its URL. */
  inspect?: boolean | undefined;
  /** Options of the embedded emulator. */
  emulator?: FakeAgentApiOptions | undefined;
  /** Defaults for every session of the client. */
  sessionDefaults?: ClientOptions['sessionDefaults'];
  /** Where to say what is used (stderr). */
  say: (line: string) => void;
  /** Told when the client waits to repeat a request. */
  onRetry?: ((notice: RetryNotice) => void) | undefined;
  /** The client's telemetry (`chat --trace`). */
  telemetry?: ClientOptions['telemetry'];
}

/** Says where the CLI talks to, as the first stderr line. */
export function describeTarget(target: Target, url: string): string {
  return target.kind === 'embedded' ? `using the embedded emulator at ${url}` : `using org ${url}`;
}

export async function connect(connection: Connection, options: ConnectOptions): Promise<Connected> {
  let emulator: FakeAgentApi | undefined;
  let myDomainUrl: string;
  const target = connection.target;
  if (target.kind === 'embedded') {
    emulator = await startFakeAgentApi({ port: 0, ...options.emulator });
    myDomainUrl = emulator.url;
  } else {
    myDomainUrl = target.myDomainUrl;
  }
  options.say(describeTarget(target, myDomainUrl));
  let inspector: RunningInspector | undefined;
  try {
    if (options.inspect) {
      // Loaded on demand: the inspector and its WebSocket server are heavy to import.
      const { startInspector } = await import('./inspect.js');
      inspector = await startInspector({ secrets: [connection.credentials.clientSecret] });
      options.say(`inspector at ${inspector.url} (open it in a browser)`);
    }
    const client = new AgentforceClient({
      myDomainUrl,
      apiBaseUrl: target.kind === 'remote' ? target.apiBaseUrl : undefined,
      auth: clientCredentials(connection.credentials),
      sessionDefaults: options.sessionDefaults,
      inspect: inspector?.inspect,
      onRetry: options.onRetry,
      telemetry: options.telemetry,
    });
    let closing: Promise<void> | undefined;
    return {
      client,
      connection,
      myDomainUrl,
      emulator,
      close() {
        closing ??= (async () => {
          client.close();
          await inspector?.close();
          await emulator?.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await inspector?.close();
    await emulator?.close();
    throw err;
  }
}
