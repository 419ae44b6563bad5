/* eslint-disable @typescript-eslint/no-explicit-any -- reply bodies are read loosely in tests */
import { afterEach, describe, expect, it } from 'vitest';
import { apiPaths, queryPath } from '../../src/api/index.js';
import {
  EMULATOR_EMPLOYEE_AGENT_ID,
  EMULATOR_INACTIVE_AGENT_ID,
  EMULATOR_SERVICE_AGENT_ID,
  EMULATOR_UNATTACHED_AGENT_ID,
  type FakeAgentApi,
  type FakeAgentApiOptions,
} from '../../src/fake-server/index.js';
import {
  call,
  checkError,
  getToken,
  jsonHeaders,
  MY_DOMAIN_URL,
  readStream,
  send,
  startApi,
  startBody,
  startSession,
  streamRequest,
} from './helpers.js';

/** The emulator fails at first contact as a real org fails (docs/emulator.md, "A real org's failures"). */

const apis: FakeAgentApi[] = [];
afterEach(async () => {
  for (const api of apis.splice(0)) await api.close();
});

async function emulator(options: FakeAgentApiOptions = {}) {
  const api = await startApi(options);
  apis.push(api);
  return { api, token: await getToken(api) };
}

function start(api: FakeAgentApi, token: string, agentId: string, extra = {}) {
  return call(api.url + apiPaths.startSession(agentId), {
    method: 'POST',
    headers: jsonHeaders(token),
    body: JSON.stringify(startBody(extra)),
  });
}

function soql(api: FakeAgentApi, token: string | undefined, q: string) {
  return call(`${api.url}${queryPath()}?q=${encodeURIComponent(q)}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
}

describe('the agents of the emulated org', () => {
  it('GET /__emulator/agents lists the default agents: service, employee, inactive, unattached', async () => {
    const { api } = await emulator();
    const r = await call(`${api.url}/__emulator/agents`);
    expect(r.status).toBe(200);
    const byId = new Map((r.body.agents as any[]).map((a) => [a.id, a]));
    expect(byId.get(EMULATOR_SERVICE_AGENT_ID)).toMatchObject({
      developerName: 'Customer_Support',
      type: 'service',
      active: true,
      connected: true,
    });
    expect(byId.get(EMULATOR_EMPLOYEE_AGENT_ID)).toMatchObject({ type: 'employee', active: true });
    expect(byId.get(EMULATOR_INACTIVE_AGENT_ID)).toMatchObject({ active: false });
    expect(byId.get(EMULATOR_UNATTACHED_AGENT_ID)).toMatchObject({ connected: false });
    for (const a of r.body.agents) expect(typeof a.label).toBe('string');
  });

  it('the agents option adds agents, and a bad one is a TypeError', async () => {
    const { api, token } = await emulator({
      agents: [
        { id: '0XxADDED00000001AA', developerName: 'Added', type: 'employee', active: true },
      ],
    });
    expect(api.agents().map((a) => a.developerName)).toContain('Added');
    const r = await start(api, token, '0XxADDED00000001AA', { bypassUser: false });
    expect(r.status).toBe(200);
    await expect(
      startApi({ agents: [{ id: 'nope', developerName: 'X', type: 'service', active: true }] }),
    ).rejects.toThrow(/agents\[0\].*0Xx/);
  });

  it('a well-formed id of no agent is a 500 HttpServerErrorException; anyAgentId accepts it', async () => {
    const { api, token } = await emulator();
    const r = await start(api, token, '0XxNOSUCHAGENT0001');
    checkError(r, 500, 'HttpServerErrorException', /UNKNOWN_EXCEPTION/);
    expect(api.openSessionCount()).toBe(0);
    const any = await emulator({ anyAgentId: true });
    expect((await start(any.api, any.token, '0XxNOSUCHAGENT0001')).status).toBe(200);
  });

  it('a 15-character id finds the agent of the 18-character one', async () => {
    const { api, token } = await emulator();
    expect((await start(api, token, EMULATOR_SERVICE_AGENT_ID.slice(0, 15))).status).toBe(200);
  });

  it('a malformed id is a 400; an inactive agent a 422', async () => {
    const { api, token } = await emulator();
    checkError(
      await start(api, token, 'sfd'),
      400,
      'BadRequestError',
      'sfd is not a valid agent ID',
    );
    checkError(
      await start(api, token, EMULATOR_INACTIVE_AGENT_ID),
      422,
      'RequestProcessingException',
      'Cannot determine the active version for the agent',
    );
    expect(api.openSessionCount()).toBe(0);
  });

  it('an Employee agent refuses bypassUser: true with the real 400, and takes false', async () => {
    const { api, token } = await emulator();
    checkError(
      await start(api, token, EMULATOR_EMPLOYEE_AGENT_ID, { bypassUser: true }),
      400,
      'AgentApiException',
      'Invalid user ID provided on start session: ',
    );
    expect(
      (await start(api, token, EMULATOR_EMPLOYEE_AGENT_ID, { bypassUser: false })).status,
    ).toBe(200);
    const { bypassUser: _omitted, ...withoutBypass } = startBody();
    const r = await call(api.url + apiPaths.startSession(EMULATOR_EMPLOYEE_AGENT_ID), {
      method: 'POST',
      headers: jsonHeaders(token),
      body: JSON.stringify(withoutBypass),
    });
    expect(r.status).toBe(200); // the API's own default is false
  });

  it('an agent the app is not attached to answers the captured 401 body', async () => {
    const { api, token } = await emulator();
    const body = checkError(
      await start(api, token, EMULATOR_UNATTACHED_AGENT_ID),
      401,
      'UnauthorizedException',
      'Connected app is not attached to Agent',
    );
    expect(body.expected).toBe(false);
  });
});

describe('request bodies', () => {
  it('an unknown field in any body is a 400 naming it', async () => {
    const { api, token } = await emulator();
    checkError(
      await start(api, token, EMULATOR_SERVICE_AGENT_ID, { userId: '005xx' }),
      400,
      'BadRequestError',
      'Unrecognized field "userId"',
    );
    checkError(
      await start(api, token, EMULATOR_SERVICE_AGENT_ID, {
        instanceConfig: { endpoint: MY_DOMAIN_URL, orgId: 'x' },
      }),
      400,
      'BadRequestError',
      'Unrecognized field "orgId"',
    );
    const { sessionId } = await startSession(api, token);
    checkError(
      await send(api, token, sessionId, 'hi', { lang: 'en' }),
      400,
      'BadRequestError',
      'Unrecognized field "lang"',
    );
    checkError(
      await send(api, token, sessionId, 'hi', {}, { extra: true }),
      400,
      'BadRequestError',
      'Unrecognized field "extra"',
    );
    const feedback = await call(api.url + apiPaths.feedback(sessionId), {
      method: 'POST',
      headers: jsonHeaders(token),
      body: JSON.stringify({ feedbackId: 'f', feedback: 'GOOD', rating: 5 }),
    });
    checkError(feedback, 400, 'BadRequestError', 'Unrecognized field "rating"');
  });

  it('an endpoint other than the My Domain URL is a 500 EngineConfigLookupException', async () => {
    const { api, token } = await emulator();
    for (const endpoint of [
      'https://example-org.lightning.force.com',
      'https://other.my.salesforce.com',
      `${MY_DOMAIN_URL}/lightning/page/home`,
    ]) {
      checkError(
        await start(api, token, EMULATOR_SERVICE_AGENT_ID, { instanceConfig: { endpoint } }),
        500,
        'EngineConfigLookupException',
      );
    }
    const slash = await start(api, token, EMULATOR_SERVICE_AGENT_ID, {
      instanceConfig: { endpoint: `${MY_DOMAIN_URL}/` },
    });
    expect(slash.status).toBe(200);
    expect(api.openSessionCount()).toBe(1);
  });

  it('variables are as lenient as the real API: a Boolean as "True", no value', async () => {
    const { api, token } = await emulator();
    const variables = [
      { name: '$Context.IsVip', type: 'Boolean', value: 'True' },
      { name: 'Order_Number', type: 'Text' },
    ];
    const r = await start(api, token, EMULATOR_SERVICE_AGENT_ID, { variables });
    expect(r.status).toBe(200);
    const vars = api.sessions()[0]!.variables;
    expect(vars['$Context.IsVip']!.value).toBe('True');
    expect(vars['Order_Number']!.value).toBeNull();
  });
});

describe('tokens', () => {
  it('a failed Agent API call answers 401 UnauthorizedException with expected: false', async () => {
    const { api } = await emulator();
    const r = await start(api, 'not-a-token', EMULATOR_SERVICE_AGENT_ID);
    const body = checkError(r, 401, 'UnauthorizedException');
    expect(body.expected).toBe(false);
  });

  it('tokenFormat opaque: tokens are not JWTs, and every Agent API call answers 404 with no body', async () => {
    const { api, token } = await emulator({ tokenFormat: 'opaque' });
    expect(token.split('.')).toHaveLength(1);
    const r = await start(api, token, EMULATOR_SERVICE_AGENT_ID);
    expect(r.status).toBe(404);
    expect(r.text).toBe('');
    const status = await call(api.url + apiPaths.status(), { headers: jsonHeaders(token) });
    expect([status.status, status.text]).toEqual([404, '']);
    expect(api.openSessionCount()).toBe(0);
    // The REST API takes the same token.
    expect(
      (await soql(api, token, "SELECT Id FROM BotDefinition WHERE DeveloperName = 'X'")).status,
    ).toBe(200);
  });
});

describe('the SOQL query of an agent by API name', () => {
  it('answers the standard query result', async () => {
    const { api, token } = await emulator();
    const r = await soql(
      api,
      token,
      "SELECT Id, DeveloperName, AgentType FROM BotDefinition WHERE DeveloperName = 'Employee_Helper'",
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      totalSize: 1,
      done: true,
      records: [
        {
          attributes: {
            type: 'BotDefinition',
            url: `/services/data/v62.0/sobjects/BotDefinition/${EMULATOR_EMPLOYEE_AGENT_ID}`,
          },
          Id: EMULATOR_EMPLOYEE_AGENT_ID,
          DeveloperName: 'Employee_Helper',
          AgentType: 'AgentforceEmployeeAgent',
        },
      ],
    });
    const none = await soql(
      api,
      token,
      "SELECT Id FROM BotDefinition WHERE DeveloperName = 'Nope'",
    );
    expect(none.body).toEqual({ totalSize: 0, done: true, records: [] });
  });

  it('refuses a missing token (401), a token without the api scope (403), a bad query (400)', async () => {
    const q = "SELECT Id FROM BotDefinition WHERE DeveloperName = 'Customer_Support'";
    const { api, token } = await emulator();
    const anon = await soql(api, undefined, q);
    expect(anon.status).toBe(401);
    expect(anon.body[0].errorCode).toBe('INVALID_SESSION_ID');
    const bad = await soql(api, token, 'SELECT FROM');
    expect([bad.status, bad.body[0].errorCode]).toEqual([400, 'MALFORMED_QUERY']);
    const noApi = await emulator({ scope: 'sfap_api chatbot_api' });
    const denied = await soql(noApi.api, noApi.token, q);
    expect(denied.status).toBe(403);
    expect(denied.body[0].message).toMatch(/not valid for use with the REST API/);
  });
});

describe('turns', () => {
  it('streamShape inform-only: a streamed reply is its messages and END_OF_TURN only', async () => {
    const { api, token } = await emulator({ streamShape: 'inform-only' });
    const { sessionId } = await startSession(api, token);
    const r = await readStream(await streamRequest(api, token, sessionId, 'hello'));
    expect(r.events.map((e) => e.event)).toEqual(['INFORM', 'END_OF_TURN']);
  });

  it('a turn past the budget ends with a 500 (sync) or an ERROR event (stalled stream)', async () => {
    const { api, token } = await emulator({
      turnBudgetMs: 100,
      agent: { reply: () => new Promise((r) => setTimeout(() => r([]), 1_000)) },
    });
    const { sessionId } = await startSession(api, token);
    checkError(
      await send(api, token, sessionId, 'slow'),
      500,
      'HttpServerErrorException',
      /0\.1 s/,
    );
    const stalled = await emulator({ turnBudgetMs: 100 });
    const s = await startSession(stalled.api, stalled.token);
    stalled.api.faults.next('stream', { stall: true, afterEvents: 1 });
    const r = await readStream(await streamRequest(stalled.api, stalled.token, s.sessionId, 'hi'));
    const last = r.events.at(-1)!;
    expect(last.event).toBe('ERROR');
    expect(last.json).toMatchObject({ status: 500, error: 'HttpServerErrorException' });
  });
});
