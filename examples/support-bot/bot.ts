/**
 * A small support-bot service on `node:http`: each end-user conversation is one agent session.
 *
 *   POST   /conversations                 → 201 {"id"}
 *   POST   /conversations/{id}/messages   {"text"} → 200 {"reply"} or 502 {"error": {"code", "message"}}
 *   DELETE /conversations/{id}            → 204 (the agent session is ended)
 *
 * What it takes care of, and what its tests (./bot.test.ts) check on every lifecycle path:
 * - a question of the agent is answered with `inReplyToMessageId`;
 * - an expired session is restarted and the message re-sent (`onExpiry: 'restart'`);
 * - a session that closed or is closing (ended by the agent, failed) is replaced by a new one for the
 *   next message;
 * - a failure is shown as its typed error code, never with a token or a secret.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  AgentforceClient,
  isAgentforceError,
  type AgentSession,
  type ClientOptions,
} from '../../src/index.js';

/** Mistakes the bot can be told to make, to show what the lifecycle paths catch. */
export type Flaw = 'closeOnExpiry' | 'ignoreQuestions' | 'keepClosedSessions';

export interface SupportBotOptions {
  client: ClientOptions;
  agentId: string;
  /** Only for the bot's own tests: a known mistake. */
  flaw?: Flaw | undefined;
}

export interface SupportBot {
  server: Server;
  /** `http://127.0.0.1:PORT` once listening. */
  url: string;
  /** Ends every open conversation, then stops the server and the client. */
  close(): Promise<void>;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      try {
        resolve(body === '' ? {} : JSON.parse(body));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

/** Starts the bot on a free port of loopback. */
export async function startSupportBot(options: SupportBotOptions): Promise<SupportBot> {
  const client = new AgentforceClient(options.client);
  const conversations = new Map<string, AgentSession>();
  const newSession = () =>
    client.session({
      agentId: options.agentId,
      onExpiry: options.flaw === 'closeOnExpiry' ? 'close' : 'restart',
    });

  const answer = async (id: string, text: string) => {
    let session = conversations.get(id);
    if (!session) throw new Error('unknown conversation');
    // After a fatal error the message fails while the session still ends its server session
    // (`ending`, DELETE in flight): a session closing or closed takes no more messages.
    const over = session.state === 'closed' || session.state === 'ending';
    if (over && options.flaw !== 'keepClosedSessions') {
      session = newSession();
      conversations.set(id, session);
    }
    const question = options.flaw === 'ignoreQuestions' ? null : session.pendingQuestionId;
    const turn = await session.send(text, question ? { inReplyToMessageId: question } : {});
    return turn.text;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://bot');
    const parts = url.pathname.split('/').filter(Boolean);
    void (async () => {
      if (req.method === 'POST' && parts.length === 1 && parts[0] === 'conversations') {
        const id = randomUUID();
        conversations.set(id, newSession());
        return send(res, 201, { id });
      }
      const id = parts[1] ?? '';
      if (parts[0] !== 'conversations' || !conversations.has(id)) return send(res, 404);
      if (req.method === 'POST' && parts[2] === 'messages') {
        const { text } = (await readJson(req)) as { text?: unknown };
        if (typeof text !== 'string' || text === '') return send(res, 400);
        try {
          return send(res, 200, { reply: await answer(id, text) });
        } catch (err) {
          if (!isAgentforceError(err)) throw err;
          return send(res, 502, { error: { code: err.code, message: err.message } });
        }
      }
      if (req.method === 'DELETE' && parts.length === 2) {
        const session = conversations.get(id)!;
        conversations.delete(id);
        await session.end().catch(() => undefined); // already reported on its message, if any
        return send(res, 204);
      }
      return send(res, 404);
    })().catch(() => send(res, 500));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await Promise.allSettled([...conversations.values()].map((s) => s.end()));
      conversations.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      client.close();
    },
  };
}
