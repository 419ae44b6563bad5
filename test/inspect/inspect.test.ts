/**
 * Sanitized inspection: no secret reaches an inspector. The session is driven over HTTP against
 * the emulator with secrets planted where a careless caller could put them (a message text, a
 * variable), and every inspection event is serialized the way an inspector reads it: neither the
 * client secret nor the bearer token may appear. The same events without the sanitizer do contain
 * them, so the check can fail.
 */
import { createWebSocketReceiver } from '@statelyai/inspect';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { startInspector } from '../../src/cli/inspect.js';
import { startFakeAgentApi, type FakeAgentApi } from '../../src/fake-server/index.js';
import {
  AgentforceClient,
  REDACTED,
  clientCredentials,
  redactSecrets,
  sanitizeInspectionEvent,
  sanitizeInspector,
  statelyInspectorOptions,
  type AgentSession,
  type ClientOptions,
} from '../../src/index.js';

const AGENT_ID = '0XxINSP00000001AAA';
const CLIENT_ID = 'inspect-client';
const CLIENT_SECRET = 'inspect-client-secret-Zq81xV';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Serializes what an inspector can read of an event: the event and its actor's data. */
function serialize(event: InspectionEvent): string {
  const actor = (ref: unknown) => {
    if (!ref || typeof ref !== 'object') return ref;
    const r = ref as {
      id?: unknown;
      sessionId?: unknown;
      getSnapshot?: () => unknown;
      logic?: { config?: unknown };
    };
    return {
      id: r.id,
      sessionId: r.sessionId,
      snapshot: r.getSnapshot?.(),
      definition: r.logic?.config,
    };
  };
  const seen = new WeakSet<object>();
  return JSON.stringify(
    {
      ...event,
      actorRef: actor(event.actorRef),
      sourceRef: actor((event as { sourceRef?: unknown }).sourceRef),
    },
    (_key, value: unknown) => {
      if (typeof value === 'function') return `[function ${(value as { name: string }).name}]`;
      if (typeof value === 'object' && value !== null) {
        if (seen.has(value)) return '[circular]';
        seen.add(value);
      }
      return value as never;
    },
  );
}

interface Run {
  api: FakeAgentApi;
  token: string;
  session: AgentSession;
}

/** A conversation in which the caller leaks both secrets into what the session carries. */
async function converse(inspect: ClientOptions['inspect']): Promise<Run> {
  const api = await startFakeAgentApi({
    anyAgentId: true,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
  });
  const credentials = clientCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  let token = '';
  const client = new AgentforceClient({
    myDomainUrl: api.url,
    // The real client-credentials flow, remembering the token it got.
    auth: {
      kind: 'recording',
      async getToken(ctx) {
        const t = await credentials.getToken(ctx);
        token = t.accessToken;
        return t;
      },
    },
    inspect,
  });
  cleanups.push(
    () => api.close(),
    () => client.close(),
  );
  const session = client.session({
    agentId: AGENT_ID,
    variables: [{ name: 'note', type: 'Text', value: `client_secret=${CLIENT_SECRET}` }],
  });
  await session.start();
  await session.send(`my token is Bearer ${token}, keep it safe`);
  await session.send(`here it is again: ${token}`);
  await session.send(`and the secret: ${CLIENT_SECRET}`);
  await session.end();
  return { api, token, session };
}

describe('sanitized inspection of a real session', () => {
  it('lets no client secret or token through sanitizeInspector, while raw events carry them', async () => {
    const raw: InspectionEvent[] = [];
    const received: InspectionEvent[] = [];
    const inspect = sanitizeInspector((e) => received.push(e), { secrets: [CLIENT_SECRET] });
    const { token } = await converse((e) => {
      raw.push(e);
      inspect.next?.(e);
    });
    expect(token).toMatch(/^eyJ/);
    const rawText = raw.map(serialize).join('\n');
    // The negative control: the caller did leak both into the session's events.
    expect(rawText).toContain(token);
    expect(rawText).toContain(CLIENT_SECRET);

    const text = received.map(serialize).join('\n');
    expect(received.length).toBe(raw.length);
    expect(text).not.toContain(token);
    expect(text).not.toContain(CLIENT_SECRET);
    expect(text).toContain(REDACTED);
    // What an inspector needs is still there.
    const types = new Set(received.map((e) => e.type));
    for (const t of ['@xstate.actor', '@xstate.event', '@xstate.snapshot', '@xstate.microstep']) {
      expect(types).toContain(t);
    }
    const values = received
      .filter(
        (e) =>
          e.type === '@xstate.snapshot' && e.actorRef.sessionId === received[0]!.actorRef.sessionId,
      )
      .map((e) => (e as { snapshot: { value?: unknown } }).snapshot.value);
    expect(values).toContainEqual('awaitingInput');
    expect(values).toContainEqual('closed');
  });

  it('turns every event into plain JSON without secrets with sanitizeInspectionEvent (patterns alone)', async () => {
    const raw: InspectionEvent[] = [];
    const { token } = await converse((e) => raw.push(e));
    const safe = raw.map((e) => sanitizeInspectionEvent(e));
    const text = JSON.stringify(safe);
    // No list of secrets given: the bearer token (a JWT) and `client_secret=` go by pattern.
    expect(text).not.toContain(token);
    expect(text).not.toContain(`client_secret=${CLIENT_SECRET}`);
    const actor = safe.find((e) => e.type === '@xstate.actor' && e.parentId === undefined);
    expect(actor?.definition).toMatchObject({ id: 'session', initial: 'idle' });
    const step = safe.find((e) => e.type === '@xstate.microstep' && e.transitions?.length);
    expect(step?.transitions?.[0]).toMatchObject({ source: expect.any(String) as string });
    // With the secret named, the bare secret goes too.
    const named = JSON.stringify(
      raw.map((e) => sanitizeInspectionEvent(e, { secrets: [CLIENT_SECRET] })),
    );
    expect(named).not.toContain(CLIENT_SECRET);
  });
});

describe('startInspector', () => {
  it('relays sanitized events over its WebSocket, and closes', async () => {
    const inspector = await startInspector({ secrets: [CLIENT_SECRET] });
    cleanups.push(() => inspector.close());
    expect(inspector.url).toMatch(/^http:\/\/localhost:\d+$/);
    const port = Number(new URL(inspector.url).port);
    const messages: string[] = [];
    const receiver = createWebSocketReceiver({ server: inspector.webSocketUrl });
    receiver.subscribe((e) => messages.push(JSON.stringify(e)));
    // A probe through the whole relay: once it arrives, the receiver is connected.
    inspector.inspect.next?.({
      type: '@xstate.event',
      rootId: 'probe',
      actorRef: { sessionId: 'probe', send: () => undefined, getSnapshot: () => ({}) },
      sourceRef: undefined,
      event: { type: 'PROBE' },
    } as unknown as InspectionEvent);
    const connected = Date.now() + 10_000;
    while (Date.now() < connected && !messages.some((m) => m.includes('PROBE'))) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(
      messages.some((m) => m.includes('PROBE')),
      'the receiver got the probe',
    ).toBe(true);

    const { token } = await converse(inspector.inspect);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !messages.some((m) => m.includes('"closed"'))) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const text = messages.join('\n');
    expect(messages.length).toBeGreaterThan(10);
    expect(text).toContain('@xstate.snapshot');
    expect(text).toContain('"definition"');
    expect(text).not.toContain(token);
    expect(text).not.toContain(CLIENT_SECRET);

    await inspector.close();
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused, 'the relay port is closed').toBe(true);
  });

  it('refuses a bad port', async () => {
    await expect(startInspector({ port: -1 })).rejects.toThrow(/port/);
  });
});

describe('redactSecrets', () => {
  it('redacts secret-named keys, bearer tokens, JWTs, Salesforce tokens and named secrets', () => {
    const jwt = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIwMDV4eCJ9.c2lnbmF0dXJl';
    const sf = '00DXX0000008abc!AQ4AQFake.Token_Value-1234567890abcdef';
    const out = redactSecrets(
      {
        headers: { Authorization: 'Bearer abc.def', 'x-request-id': 'r1' },
        client_secret: 'cs',
        accessToken: 'at',
        refresh_token: '',
        nested: [{ text: `token ${jwt} and ${sf}` }, 'url?access_token=xyz&b=1'],
        json: '{"client_secret":"s3cr3t","ok":1}',
        mine: 'the word hunter2x here',
        keep: 'externalSessionKey stays',
      },
      { secrets: ['hunter2x'] },
    );
    expect(out).toEqual({
      headers: { Authorization: REDACTED, 'x-request-id': 'r1' },
      client_secret: REDACTED,
      accessToken: REDACTED,
      refresh_token: '',
      nested: [{ text: `token ${REDACTED} and ${REDACTED}` }, `url?access_token=${REDACTED}&b=1`],
      json: `{"client_secret":"${REDACTED}","ok":1}`,
      mine: `the word ${REDACTED} here`,
      keep: 'externalSessionKey stays',
    });
  });

  it('copies anything to plain JSON: cycles, errors, functions, maps, depth', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a['self'] = a;
    const err = Object.assign(new Error('failed with Bearer zzz'), { code: 'x', status: 401 });
    const out = redactSecrets(
      {
        a,
        err,
        fn: function named() {},
        map: new Map([['k', 1]]),
        set: new Set([1]),
        big: 2n,
        u: undefined,
      },
      { maxDepth: 5 },
    );
    expect(out).toEqual({
      a: { name: 'a', self: '[circular]' },
      err: { name: 'Error', message: `failed with Bearer ${REDACTED}`, code: 'x', status: 401 },
      fn: '[function named]',
      map: { k: 1 },
      set: [1],
      big: '2',
    });
    expect(redactSecrets({ a: { b: { c: 1 } } }, { maxDepth: 2 })).toEqual({
      a: { b: '[depth limit]' },
    });
  });

  it('gives @statelyai/inspect options that redact what they send, the definition text included', () => {
    const o = statelyInspectorOptions({ secrets: ['s3cr3t-value'] });
    expect(o.sanitizeContext({ password: 'p', ok: 'fine s3cr3t-value' })).toEqual({
      password: REDACTED,
      ok: `fine ${REDACTED}`,
    });
    expect(o.sanitizeEvent({ type: 'SEND', text: 'Bearer abc' })).toEqual({
      type: 'SEND',
      text: `Bearer ${REDACTED}`,
    });
    const sent = o.serialize({
      type: '@xstate.actor',
      definition: JSON.stringify({ id: 'm', context: { apiKey: 'k-123', note: 's3cr3t-value' } }),
    });
    expect(JSON.parse(sent.definition)).toEqual({
      id: 'm',
      context: { apiKey: REDACTED, note: REDACTED },
    });
  });
});
