import { SimulatedClock } from 'xstate';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { AgentforceClient, SnapshotVersionError, clientCredentials } from '../../src/index.js';
import { CLIENT_ID, CLIENT_SECRET, harness, traffic } from './helpers.js';

describe('snapshots: a session continued in another process', () => {
  it('a snapshot is plain JSON without secrets, and a restored session continues the conversation', async () => {
    const { api, session, client } = await harness();
    await session.start();
    await session.send('before the move');
    const persisted = JSON.parse(JSON.stringify(session.snapshot())) as unknown;
    expect(JSON.stringify(persisted)).not.toContain(CLIENT_SECRET);
    expect(JSON.stringify(persisted)).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    session.stop();

    // another "process": a new client with its own token
    const other = new AgentforceClient({
      myDomainUrl: api.url,
      auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    });
    try {
      const restored = other.restore(persisted);
      expect(restored.state).toBe('awaitingInput');
      const turn = await restored.send('after the move');
      expect(turn.sequenceId).toBe(2);
      expect(turn.sessionId).toBe(session.sessionId);
      await restored.end();
      expect(api.sessions()[0]).toMatchObject({ status: 'ended', sequenceIds: [1, 2] });
    } finally {
      other.close();
      client.close();
    }
  });

  it('a message in flight when the snapshot was taken is sent again with a higher sequenceId', async () => {
    const { api, session, client } = await harness({ emulator: { strictSequence: true } });
    await session.start();
    api.faults.next('send', { delayMs: 200 });
    const lost = session.send('in flight during the move').catch(() => 'lost with the old process');
    await new Promise((r) => setTimeout(r, 30));
    expect(session.state).toBe('active');
    const persisted = session.snapshot();
    session.stop();
    await lost;

    const restored = client.restore(JSON.parse(JSON.stringify(persisted)));
    const completed = new Promise((resolve) => restored.on('turn.completed', resolve));
    const event = (await completed) as {
      sequenceId: number;
      messages: Array<{ message?: string }>;
    };
    expect(event.sequenceId).toBe(2);
    expect(event.messages[0]?.message).toContain('in flight during the move');
    expect(restored.state).toBe('awaitingInput');
    await new Promise((r) => setTimeout(r, 250));
    expect(api.requests.filter((r) => r.status === 400)).toEqual([]);
  });

  it('an idle deadline keeps its time across a restore', async () => {
    const clock = new SimulatedClock();
    const { session, api } = await harness({
      client: { clock },
      session: { idleTimeoutMs: 60_000 },
    });
    await session.start();
    clock.increment(40_000);
    const persisted = JSON.parse(JSON.stringify(session.snapshot())) as unknown;
    session.stop();
    const other = new AgentforceClient({
      myDomainUrl: api.url,
      auth: clientCredentials({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
      clock,
    });
    try {
      const restored = other.restore(persisted);
      clock.increment(19_999);
      expect(restored.state).toBe('awaitingInput');
      clock.increment(1);
      expect(restored.state).toBe('expired');
    } finally {
      other.close();
    }
  });

  it('refuses a snapshot of another schema version, whole', async () => {
    const { session, client } = await harness();
    await session.start();
    const persisted = session.snapshot();
    expect(() => client.restore({ ...persisted, schemaVersion: 999 })).toThrow(
      SnapshotVersionError,
    );
    expect(() => client.restore({ nonsense: true })).toThrow(SnapshotVersionError);
    const renamed = { ...persisted, machine: { ...persisted.machine, value: 'someOldState' } };
    expect(() => client.restore(renamed)).toThrow(SnapshotVersionError);
  });

  it('a version-2 snapshot an earlier release saved in the plain `expired` state rests in expired, and the next message starts a new session', async () => {
    // Written by the release whose `expired` state had no sub-states: an idle deadline had passed
    // after one message, and nothing was invoked (no DELETE, no message in flight).
    const written = JSON.parse(
      await readFile(new URL('fixtures/expired-v2-plain.json', import.meta.url), 'utf8'),
    ) as { machine: { context: { endpoint: string; sessionId: string } } };
    const { api, client } = await harness();
    written.machine.context.endpoint = api.url;
    const previous = written.machine.context.sessionId;

    const restored = client.restore(written);
    const events: unknown[] = [];
    restored.on('session.restarted', (e) => events.push(e));
    expect(restored.state).toBe('expired');
    expect(restored.sessionId).toBe(previous);
    const turn = await restored.send('after the upgrade');

    expect(turn.sessionId).not.toBe(previous);
    expect(turn.sequenceId).toBe(2);
    expect(turn.text).toContain('after the upgrade');
    expect(events).toEqual([
      {
        type: 'session.restarted',
        previousSessionId: previous,
        sessionId: turn.sessionId,
        restarts: 1,
      },
    ]);
    // The earlier release sent no DELETE for it, and the restore does not send one either.
    expect(traffic(api)).toEqual(['token 200', 'start 200', 'send 200']);
    expect(restored.state).toBe('awaitingInput');
  });
});
