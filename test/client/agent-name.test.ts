/**
 * Agents by API name (the SOQL query on BotDefinition, once per client) and the API host of a
 * token that names none, over HTTP against the emulator.
 */
import { describe, expect, it } from 'vitest';
import {
  AgentforceClient,
  InvalidArgumentError,
  MemoryStore,
  NotFoundError,
  PermissionDeniedError,
} from '../../src/index.js';
import { apiBaseForMyDomain } from '../../src/api/index.js';
import { EMULATOR_SERVICE_AGENT_ID, startFakeAgentApi } from '../../src/fake-server/index.js';
import { harness, traffic } from './helpers.js';

describe('client.session({ agentName })', () => {
  it('finds the id with one SOQL query per client, and starts the agent of that name', async () => {
    const h = await harness({
      emulator: { anyAgentId: false },
      session: { agentName: 'Customer_Support', agentId: undefined },
    });
    await h.session.start();
    const second = h.client.session({ agentName: 'Customer_Support' });
    await second.start();
    expect(traffic(h.api)).toEqual(['token 200', 'query 200', 'start 200', 'start 200']);
    const starts = h.api.requests.filter((r) => r.route === 'start');
    expect(starts.map((r) => r.agentId)).toEqual([
      EMULATOR_SERVICE_AGENT_ID,
      EMULATOR_SERVICE_AGENT_ID,
    ]);
    expect(await h.client.findAgent('Customer_Support')).toEqual({
      id: EMULATOR_SERVICE_AGENT_ID,
      developerName: 'Customer_Support',
      agentType: 'EinsteinServiceAgent',
    });
  });

  it('works in the conversations manager too', async () => {
    const h = await harness({ emulator: { anyAgentId: false } });
    const manager = h.client.conversations({
      session: { agentName: 'Customer_Support' },
      store: new MemoryStore(),
    });
    const turn = await manager.send('alice', 'hello');
    expect(turn.text).toContain('hello');
    await manager.endAll();
  });

  it('a name of no agent: NotFoundError naming agentName; no api scope: PermissionDeniedError', async () => {
    const h = await harness({
      emulator: { anyAgentId: false },
      session: { agentName: 'No_Such_Agent', agentId: undefined },
    });
    const err = await h.session.start().then(
      () => undefined,
      (e: unknown) => e as NotFoundError,
    );
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err?.hint).toMatch(/agentName/);
    const scoped = await harness({
      emulator: { anyAgentId: false, scope: 'sfap_api chatbot_api' },
      session: { agentName: 'Customer_Support', agentId: undefined },
    });
    const denied = await scoped.session.start().then(
      () => undefined,
      (e: unknown) => e as PermissionDeniedError,
    );
    expect(denied).toBeInstanceOf(PermissionDeniedError);
    expect(denied?.hint).toMatch(/'api' scope/);
    expect(traffic(scoped.api)).toEqual(['token 200', 'query 403']);
  });

  it('both agentId and agentName, or a bad name: InvalidArgumentError, nothing sent', async () => {
    const h = await harness();
    expect(() => h.client.session({ agentId: EMULATOR_SERVICE_AGENT_ID, agentName: 'X' })).toThrow(
      InvalidArgumentError,
    );
    expect(() => h.client.session({ agentName: "x' OR Id != '" })).toThrow(InvalidArgumentError);
    expect(traffic(h.api)).toEqual([]);
  });
});

describe('the API host of a token that names none', () => {
  it('is told from the My Domain where it is unambiguous', () => {
    expect(apiBaseForMyDomain('https://acme--uat.sandbox.my.salesforce.com')).toBe(
      'https://test.api.salesforce.com',
    );
    expect(apiBaseForMyDomain('https://fun-dev-1234.scratch.my.salesforce.com')).toBe(
      'https://test.api.salesforce.com',
    );
    expect(apiBaseForMyDomain('https://acme.my.salesforce.com')).toBe('https://api.salesforce.com');
    expect(apiBaseForMyDomain('https://agents.acme.com')).toBeUndefined();
    expect(apiBaseForMyDomain('http://127.0.0.1:8080')).toBeUndefined();
  });

  it('else a request asks for apiBaseUrl, before reaching any Agent API host', async () => {
    const api = await startFakeAgentApi({ anyAgentId: false });
    const token = (
      (await await fetch(`${api.url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'c',
          client_secret: 's',
        }),
      }).then((r) => r.json())) as { access_token: string }
    ).access_token;
    const client = new AgentforceClient({ myDomainUrl: api.url, auth: token });
    const err = await client
      .session({ agentId: EMULATOR_SERVICE_AGENT_ID })
      .start()
      .then(
        () => undefined,
        (e: unknown) => e as InvalidArgumentError,
      );
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err?.hint).toMatch(/set apiBaseUrl: .*test\.api\.salesforce\.com for a sandbox/);
    expect(traffic(api)).toEqual(['token 200']);
    client.close();
    await api.close();
  });
});
