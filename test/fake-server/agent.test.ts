import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfirmMessageSchema,
  EscalateMessageSchema,
  FailureMessageSchema,
  InformMessageSchema,
  InquireMessageSchema,
  SessionEndedMessageSchema,
  apiPaths,
} from '../../src/api/index.js';
import {
  CANCEL_ORDER_OUTPUT,
  LOOKUP_ORDER_INPUT,
  LOOKUP_ORDER_OUTPUT,
  inform,
  inquire,
  type AgentTurn,
  type FakeAgentApi,
} from '../../src/fake-server/index.js';
import {
  AGENT_ID,
  call,
  checkError,
  checkMessagesReply,
  MY_DOMAIN_URL,
  getToken,
  jsonHeaders,
  send,
  startApi,
  startSession,
} from './helpers.js';

describe('the default agent', () => {
  let api: FakeAgentApi;
  afterEach(async () => api?.close());

  async function session() {
    api = await startApi();
    const token = await getToken(api);
    const { sessionId } = await startSession(api, token);
    const say = async (text: string, message: Record<string, unknown> = {}) => {
      const r = await send(api, token, sessionId, text, message);
      expect(r.status).toBe(200);
      checkMessagesReply(r.body, ['LightningChunk']);
      return r.body.messages as Record<string, unknown>[];
    };
    return { token, sessionId, say };
  }

  it('answers plain questions with an Inform that echoes the text', async () => {
    const { say } = await session();
    const [m] = await say('How are you today?');
    const inf = InformMessageSchema.parse(m);
    expect(inf.message).toContain('You said: "How are you today?"');
    expect(inf).toMatchObject({ isContentSafe: true, result: [], citedReferences: [] });
    expect(inf.feedbackId).toBe(inf.planId);
  });

  it('cites a knowledge article for "return policy"', async () => {
    const { say } = await session();
    const [m] = await say('What is your return policy?');
    const inf = InformMessageSchema.parse(m);
    expect(inf.citedReferences).toHaveLength(1);
    const ref = inf.citedReferences![0]!;
    expect(ref).toMatchObject({ type: 'link', label: 'Return Policy' });
    expect(ref.value).toMatch(/^https:\/\//);
    const meta = ref.inlineMetadata![0]!;
    expect(inf.message.slice(0, meta.location)).toBe(meta.claim);
  });

  it('asks for the order number with an Inquire and answers the reply with an action result', async () => {
    const { say } = await session();
    const [q] = await say('Where is my order?');
    const inq = InquireMessageSchema.parse(q);
    expect(inq.collect).toEqual([
      { targetType: LOOKUP_ORDER_INPUT, targetProperty: 'orderNumber', data: null },
    ]);
    expect(inq.feedbackId).toBe(inq.planId);
    const [a] = await say('It is A-777', { inReplyToMessageId: inq.id });
    const inf = InformMessageSchema.parse(a);
    expect(inf.result).toEqual([
      {
        type: LOOKUP_ORDER_OUTPUT,
        property: '',
        value: expect.objectContaining({ status: 'Shipped' }),
      },
    ]);
  });

  it('takes digits as the answer to a pending Inquire', async () => {
    const { say } = await session();
    await say('I need help with an order');
    const [a] = await say('98765');
    const inf = InformMessageSchema.parse(a);
    expect(inf.result![0]!.value).toMatchObject({ orderNumber: '98765' });
  });

  it('confirms a cancellation and acts on yes', async () => {
    const { say } = await session();
    const [c] = await say('Please cancel order 4242');
    const conf = ConfirmMessageSchema.parse(c);
    expect(conf.confirm[0]).toMatchObject({ value: { orderNumber: '4242' } });
    const [a] = await say('yes', { inReplyToMessageId: conf.id });
    expect(InformMessageSchema.parse(a).result![0]!.type).toBe(CANCEL_ORDER_OUTPUT);
    await say('cancel it');
    const [no] = await say('no');
    expect(InformMessageSchema.parse(no).message).toMatch(/won't cancel/);
  });

  it('escalates on "human" with an Inform and an Escalate to a queue', async () => {
    const { say } = await session();
    const [i, e] = await say('I want to talk to a human');
    InformMessageSchema.parse(i);
    const esc = EscalateMessageSchema.parse(e);
    expect(esc.targets).toEqual([
      { type: 'Salesforce:Core:Queue:Id', value: expect.stringMatching(/^00G/) },
    ]);
  });

  it('fails on "break" with a Failure', async () => {
    const { say } = await session();
    const [f] = await say('please break');
    const fail = FailureMessageSchema.parse(f);
    expect(fail.code).toBe('ACTION_FAILED');
    expect(fail.errors!.length).toBeGreaterThan(0);
  });

  it('ends the session on "end the chat"', async () => {
    const { say, token, sessionId } = await session();
    const [i, e] = await say('Thanks, end the chat');
    InformMessageSchema.parse(i);
    expect(SessionEndedMessageSchema.parse(e).reason).toBe('Action');
    expect(api.sessions()[0]).toMatchObject({
      status: 'ended',
      endedBy: 'server',
      endReason: 'Action',
    });
    checkError(await send(api, token, sessionId, 'hello?'), 404, 'NotFoundException');
  });

  it('sends an unknown message type (LightningChunk) on "lightning"', async () => {
    const { say } = await session();
    const [chunk, i] = await say('show me a lightning card');
    expect(chunk).toMatchObject({ type: 'LightningChunk', id: expect.any(String) });
    InformMessageSchema.parse(i);
  });

  it('answers non-Text request messages', async () => {
    const { say } = await session();
    const [m] = await say('', { type: 'Cancel', text: undefined });
    expect(InformMessageSchema.parse(m).message).toMatch(/stopped/);
  });

  it('lists session variables on "variables"', async () => {
    api = await startApi();
    const token = await getToken(api);
    const { sessionId } = await startSession(api, token, {
      variables: [{ name: 'Tier', type: 'Text', value: 'Gold' }],
    });
    const r = await send(api, token, sessionId, 'what variables do you have?');
    expect(r.body.messages[0].message).toContain('"Tier"');
  });
});

describe('custom scripts', () => {
  let api: FakeAgentApi;
  afterEach(async () => api?.close());

  it('a reply function sees the turn and its drafts are completed', async () => {
    const turns: AgentTurn[] = [];
    api = await startApi({
      agent: (turn) => {
        turns.push(turn);
        turn.state.count = ((turn.state.count as number | undefined) ?? 0) + 1;
        return [
          inform(`#${String(turn.state.count)} ${turn.text}`),
          inquire('More?', [{ targetType: 'x/Y', targetProperty: 'p', data: null }]),
          { type: 'Escalate', targets: [{ type: 'Salesforce:Core:Bot:Id', value: '0Xx1' }] },
        ];
      },
    });
    const token = await getToken(api);
    const { sessionId, reply } = await startSession(api, token, {
      variables: [{ name: 'A', type: 'Number', value: 1 }],
    });
    expect(reply.body.messages[0].message).toMatch(/emulator/); // default greeting
    const r1 = await send(
      api,
      token,
      sessionId,
      'one',
      { sequenceId: 7 },
      {
        variables: [{ name: 'B', type: 'Boolean', value: true }],
      },
    );
    checkMessagesReply(r1.body);
    const [m1, m2, m3] = r1.body.messages;
    expect(m1).toMatchObject({
      type: 'Inform',
      message: '#1 one',
      isContentSafe: true,
      result: [],
      citedReferences: [],
    });
    expect(m1.feedbackId).toBe(m1.planId);
    expect(m2.planId).toBe(m1.planId);
    expect(m3).toMatchObject({ type: 'Escalate', feedbackId: m1.planId });
    const r2 = await send(api, token, sessionId, 'two', { inReplyToMessageId: m2.id });
    expect(r2.body.messages[0].message).toBe('#2 two');
    expect(r2.body.messages[0].planId).not.toBe(m1.planId);
    const [t1, t2] = turns;
    expect(t1).toMatchObject({
      sessionId,
      sequenceId: 7,
      text: 'one',
      streaming: false,
      history: [],
    });
    expect(t1!.variables).toEqual([{ name: 'B', type: 'Boolean', value: true }]);
    expect(Object.keys(t1!.sessionVariables).sort()).toEqual(['A', 'B']);
    expect(t2!.inReplyToMessageId).toBe(m2.id);
    expect(t2!.history).toHaveLength(1);
    expect(t2!.history[0]!.reply[0]!.id).toBe(m1.id);
  });

  it('an object script has its own greeting; an async reply works', async () => {
    api = await startApi({
      agent: {
        greeting: (s) => [inform(`Hello ${s.externalSessionKey.slice(0, 4)}`)],
        reply: async (t) => {
          await new Promise((r) => setTimeout(r, 1));
          return [inform(t.text.toUpperCase()), { type: 'SessionEnded', reason: 'ClientRequest' }];
        },
      },
    });
    const token = await getToken(api);
    const { sessionId, reply } = await startSession(api, token);
    expect(reply.body.messages[0].message).toMatch(/^Hello /);
    const r = await send(api, token, sessionId, 'shout');
    expect(r.body.messages[0].message).toBe('SHOUT');
    expect(r.body.messages[1]).toMatchObject({
      type: 'SessionEnded',
      reason: 'ClientRequest',
      feedbackId: '',
    });
    expect(api.sessions()[0]!.status).toBe('ended');
  });

  it('a script that throws gets a 500 error body; the server lives on', async () => {
    let fail = true;
    api = await startApi({
      agent: (t) => {
        if (fail) throw new Error('script exploded');
        return [inform(t.text)];
      },
    });
    const token = await getToken(api);
    const { sessionId } = await startSession(api, token);
    checkError(
      await send(api, token, sessionId, 'x'),
      500,
      'HttpServerErrorException',
      /script exploded/,
    );
    fail = false;
    expect((await send(api, token, sessionId, 'y')).status).toBe(200);
  });

  it('a script returning garbage gets a 500; a throwing greeting gets a 500', async () => {
    api = await startApi({
      agent: {
        greeting: () => {
          throw new Error('no greeting');
        },
        reply: () => 'not an array' as never,
      },
    });
    const token = await getToken(api);
    const r = await call(api.url + apiPaths.startSession(AGENT_ID), {
      method: 'POST',
      headers: jsonHeaders(token),
      body: JSON.stringify({
        externalSessionKey: crypto.randomUUID(),
        instanceConfig: { endpoint: MY_DOMAIN_URL },
      }),
    });
    checkError(r, 500, 'HttpServerErrorException', /no greeting/);
    expect(api.openSessionCount()).toBe(0);
  });

  it('rejects an invalid agent option with a TypeError', async () => {
    await expect(startApi({ agent: 42 as never })).rejects.toThrow(/"agent"/);
    await expect(startApi({ agent: { reply: 1 } as never })).rejects.toThrow(TypeError);
  });
});
