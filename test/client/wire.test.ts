/**
 * What the HTTP actors put on the wire, read from the emulator's record: the start body has only
 * the fields the caller set, a message always carries its variables and only a real reply-to, and
 * each failure names the request that failed.
 */
import { describe, expect, it } from 'vitest';
import { isAgentforceError } from '../../src/index.js';
import { harness } from './helpers.js';

const bodyOf = (h: Awaited<ReturnType<typeof harness>>, route: string) =>
  h.api.requests.filter((r) => r.route === route).at(-1)?.body as Record<string, unknown>;

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isAgentforceError(err)) return err.message;
    throw err;
  }
  throw new Error('it did not fail');
}

describe('the request bodies', () => {
  it('start: no tz and no variables unless given', async () => {
    const h = await harness();
    await h.session.start();
    const body = bodyOf(h, 'start');
    expect(body).not.toHaveProperty('tz');
    expect(body).not.toHaveProperty('variables');
    expect(body).toMatchObject({
      bypassUser: true,
      instanceConfig: { endpoint: expect.any(String) },
    });
  });

  it('message: variables always (empty), inReplyToMessageId only when answering', async () => {
    const h = await harness();
    await h.session.send('hello');
    const body = bodyOf(h, 'send') as { message: Record<string, unknown>; variables: unknown };
    expect(body.variables).toEqual([]);
    expect(body.message).toEqual({ type: 'Text', sequenceId: 1, text: 'hello' });
  });

  it('message: a streamed one carries the same body as one answered at once', async () => {
    const h = await harness();
    const options = {
      inReplyToMessageId: 'm-1',
      variables: [{ name: '$Context.EndUserLanguage', type: 'Text' as const, value: 'en_US' }],
    };
    await h.session.send('hello', options);
    const reply = h.session.stream('hello', options);
    for await (const _ of reply);
    await reply.turn;
    const sent = bodyOf(h, 'send');
    expect(sent).toEqual({
      message: { type: 'Text', sequenceId: 1, text: 'hello', inReplyToMessageId: 'm-1' },
      variables: options.variables,
    });
    expect(bodyOf(h, 'stream')).toEqual({
      ...sent,
      message: { ...(sent['message'] as object), sequenceId: 2 },
    });
  });
});

describe('a failure names its request', () => {
  it('start session, send message and end session', async () => {
    const h = await harness();
    h.api.faults.next('start', { status: 400 });
    expect(await failure(h.session.start())).toContain('start session');

    const s = await harness();
    await s.session.start();
    s.api.faults.next('send', { status: 503 }, { times: 3 });
    expect(await failure(s.session.send('hi'))).toContain('send message');
    s.api.faults.next('end', { status: 503 }, { times: 3 });
    expect(await failure(s.session.end())).toContain('end session');
  });

  it('a malformed reply names the request too', async () => {
    const h = await harness();
    h.api.faults.next('start', { malformed: 'json' });
    expect(await failure(h.session.start())).toContain('start session');
    const s = await harness();
    await s.session.start();
    s.api.faults.next('send', { malformed: 'json' });
    expect(await failure(s.session.send('hi'))).toContain('send message');
  });
});
