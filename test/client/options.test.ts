import { describe, expect, it } from 'vitest';
import {
  AgentforceClient,
  BadRequestError,
  InternalServerError,
  InvalidArgumentError,
  PermissionDeniedError,
  SessionManager,
  UnprocessableError,
  clientCredentials,
} from '../../src/index.js';
import { FaultInjector, startFakeAgentApi } from '../../src/fake-server/index.js';
import { resolveClientOptions } from '../../src/options.js';
import { AGENT_ID, harness } from './helpers.js';

const base = { myDomainUrl: 'https://example.my.salesforce.com', auth: 'token' };

describe('defaults', () => {
  it('a silent stream is given longer than the server allows a turn (120 s)', () => {
    // The Agent API's turn budget is 120 s (a longer turn ends with a 500 from the server); a
    // streamed turn may be silent for most of it, so the client must not give up first.
    expect(resolveClientOptions(base as never).streamIdleTimeoutMs).toBeGreaterThan(120_000);
  });
});

describe('options are validated up front, with errors that name the option', () => {
  it.each([
    [{ ...base, myDomainUrl: 'http://example.my.salesforce.com' }, /myDomainUrl must use https/],
    [{ ...base, myDomainUrl: 'not a url' }, /myDomainUrl must be an absolute URL/],
    [{ ...base, apiBaseUrl: 'ftp://x' }, /apiBaseUrl must use https/],
    [{ ...base, auth: 42 }, /auth must be/],
    [{ ...base, auth: '' }, /auth must be/],
    [{ ...base, timeoutMs: -1 }, /timeoutMs must be an integer/],
    [{ ...base, retry: { maxRetries: 1.5 } }, /retry.maxRetries must be an integer/],
    [{ ...base, retry: { tries: 3 } }, /retry.tries is not a retry option/],
    [
      { ...base, sessionDefaults: { onExpiry: 'sometimes' } },
      /sessionDefaults.onExpiry must be 'restart' or 'close'/,
    ],
  ])('client options %#', (options, message) => {
    expect(() => new AgentforceClient(options as never)).toThrow(InvalidArgumentError);
    expect(() => new AgentforceClient(options as never)).toThrow(message);
  });

  it('accepts http on loopback', () => {
    for (const myDomainUrl of [
      'http://127.0.0.1:1234',
      'http://127.1.2.3',
      'http://localhost:8080/',
      'http://[::1]:5000',
    ]) {
      const client = new AgentforceClient({ ...base, myDomainUrl });
      client.close();
    }
  });

  it('refuses http to a host that only looks like loopback', () => {
    for (const myDomainUrl of [
      'http://127.0.0.1.example.com',
      'http://localhost.example.com',
      'http://128.0.0.1',
    ]) {
      expect(() => new AgentforceClient({ ...base, myDomainUrl })).toThrow(/must use https/);
    }
  });

  it('refuses a URL with credentials without echoing it, whatever else is wrong', () => {
    for (const myDomainUrl of ['http://user:pa55@example.com', 'https://user:pa55@x.com/']) {
      expect(() => new AgentforceClient({ ...base, myDomainUrl })).toThrow(
        /myDomainUrl must not carry credentials/,
      );
      expect(() => new AgentforceClient({ ...base, myDomainUrl })).not.toThrow(/pa55/);
    }
  });

  it('keeps the URL without its trailing slashes', () => {
    expect(
      resolveClientOptions({ ...base, myDomainUrl: 'https://x.my.salesforce.com//' }).myDomainUrl,
    ).toBe('https://x.my.salesforce.com');
  });

  it.each([
    [{ agentId: 'nope' }, /agentId must be a 15- or 18-character agent id/],
    [{ agentId: '0Xx123' }, /agentId/],
    [{ agentId: AGENT_ID, maxQueue: -1 }, /maxQueue must be an integer/],
    [{ agentId: AGENT_ID, idleTimeoutMs: 0 }, /idleTimeoutMs must be an integer/],
    [
      { agentId: AGENT_ID, variables: [{ name: 'x', type: 'Boolean', value: 'true' }] },
      /^variables\[0\]\.value variable x of type Boolean needs a boolean/,
    ],
    [
      { agentId: AGENT_ID, variables: [{ name: 'x', type: 'Nope', value: 1 }] },
      /variables\[0\]\.type/,
    ],
  ])('session options %#', (options, message) => {
    const client = new AgentforceClient(base);
    try {
      expect(() => client.session(options as never)).toThrow(message);
    } finally {
      client.close();
    }
  });

  it('clientCredentials refuses empty credentials and never shows the secret', () => {
    expect(() => clientCredentials({ clientId: '', clientSecret: 'x' })).toThrow(/clientId/);
    expect(() => clientCredentials({ clientId: 'x', clientSecret: '' })).toThrow(/clientSecret/);
    const auth = clientCredentials({ clientId: 'id', clientSecret: 'shh-very-secret' });
    expect(JSON.stringify(auth)).not.toContain('shh-very-secret');
    expect(JSON.stringify(new AgentforceClient({ ...base, auth }))).not.toContain(
      'shh-very-secret',
    );
  });

  it('bad send arguments are refused before anything is sent', async () => {
    const { api, session } = await harness();
    await session.start();
    const before = api.requests.length;
    await expect(session.send('')).rejects.toThrow(/must not be empty/);
    await expect(session.send('   ')).rejects.toThrow(InvalidArgumentError);
    await expect(session.send('x'.repeat(100_001))).rejects.toThrow(/maxMessageLength/);
    await expect(session.send(42 as never)).rejects.toThrow(/text must be a string/);
    await expect(session.send('hi', { inReplyToMessageId: '' })).rejects.toThrow(
      /inReplyToMessageId/,
    );
    await expect(
      session.send('hi', { variables: [{ name: 'n', type: 'Number', value: '1' }] }),
    ).rejects.toThrow(/^variables\[0\]\.value variable n of type Number needs a finite number/);
    await expect(session.send('hi', { variables: {} as never })).rejects.toThrow(
      /^variables Invalid input: expected array/,
    );
    await expect(session.end('Bored' as never)).rejects.toThrow(/end reason must be one of/);
    expect(api.requests.length).toBe(before);
    expect(session.state).toBe('awaitingInput');
  });
});

describe('each error status on start gives its class and a failed session', () => {
  it.each([
    [400, BadRequestError],
    [403, PermissionDeniedError],
    [422, UnprocessableError],
    [500, InternalServerError],
  ])('%i', async (status, Class) => {
    const { api, session } = await harness();
    api.faults.next('start', { status }, { times: 3 });
    await expect(session.start()).rejects.toBeInstanceOf(Class);
    expect(session.outcome).toMatchObject({ reason: 'failed', error: { status } });
  });
});

describe('number options follow one rule, told in the same words, everywhere', () => {
  it('client, session, manager, emulator and fault options', async () => {
    expect(() => new AgentforceClient({ ...base, maxSockets: 0 })).toThrow(
      'maxSockets must be an integer ≥ 1 (got 0)',
    );
    expect(() => new AgentforceClient({ ...base, timeoutMs: 2 ** 60 })).toThrow(
      /timeoutMs must be an integer ≥ 1/,
    );
    const client = new AgentforceClient(base);
    try {
      expect(() => client.session({ agentId: AGENT_ID, maxRestarts: 0.5 })).toThrow(
        'maxRestarts must be an integer ≥ 0 (got 0.5)',
      );
      expect(
        () => new SessionManager(client, { session: { agentId: AGENT_ID }, leaseMs: 99 }),
      ).toThrow('conversations: leaseMs must be an integer ≥ 100 (got 99)');
    } finally {
      client.close();
    }
    await expect(startFakeAgentApi({ port: 70_000 })).rejects.toThrow(
      'option "port" must be an integer from 0 to 65535 (got 70000)',
    );
    await expect(startFakeAgentApi({ latencyMs: Infinity })).rejects.toThrow(
      'option "latencyMs" must be a finite number ≥ 0',
    );
    const faults = new FaultInjector();
    expect(() => faults.next('send', { status: 399 })).toThrow(
      'fault.status must be an integer ≥ 400 (got 399)',
    );
    expect(() => faults.next('send', { status: 500 }, { times: 0 })).toThrow(
      'times must be an integer ≥ 1 (got 0)',
    );
  });
});
