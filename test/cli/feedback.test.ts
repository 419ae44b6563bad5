/**
 * Rating a reply from the CLI: `/good` and `/bad` in the chat REPL (a real terminal, tmux) and the
 * `feedback` verb on a stored session. The emulator records each feedback request it gets.
 */
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from './helpers.js';
import { useEmulatorOrg } from './org.js';
import { useTerminal } from './terminal.js';

const CLIENT_ID = 'feedback-test-client';
const SECRET = 'feedback-test-secret-4d21c7';

const org = useEmulatorOrg({ clientId: CLIENT_ID, clientSecret: SECRET }, {});
const openTerminal = useTerminal();

const env = () => org.env('0XxEMULATOR0000001');

/** The bodies of the feedback requests the emulator answered with 2xx. */
const feedbacks = () =>
  org.api.requests
    .filter((r) => r.route === 'feedback' && r.status !== undefined && r.status < 300)
    .map((r) => r.body as Record<string, unknown>);

describe('feedback', { timeout: 120_000 }, () => {
  it('/good and /bad rate the last reply in the REPL', async () => {
    const e = env();
    delete e['NO_COLOR'];
    const t = openTerminal(org.home, [process.execPath, CLI, 'chat'], e);
    await t.waitFor(/^you ›\s*$/m);
    t.type('/good');
    await t.waitFor(/no reply to rate yet/);
    t.type('what is your return policy?');
    await t.waitFor(/You can return any item/);
    await t.waitFor(/^you ›\s*$/m);
    t.type('/good clear answer');
    await t.waitFor(/feedback sent: GOOD "clear answer"/);
    t.type('/bad');
    await t.waitFor(/feedback sent: BAD$/m);
    const sent = feedbacks();
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({ feedback: 'GOOD', text: 'clear answer' });
    expect(sent[1]).toMatchObject({ feedback: 'BAD' });
    expect(sent[1]).not.toHaveProperty('text');
    // Both name the reply's feedbackId, which the emulator gave in the reply.
    expect(sent[0]!['feedbackId']).toMatch(/\S/);
    expect(sent[1]!['feedbackId']).toBe(sent[0]!['feedbackId']);
    t.press('C-c');
    expect(await t.waitFor(/^EXIT:\d+$/m)).toMatch(/^EXIT:0$/m);
  });

  it('the feedback verb rates the last reply of a stored session', async () => {
    const e = env();
    const start = await runCli(['start'], { env: e });
    expect(start.code, start.stderr).toBe(0);
    const handle = start.stdout.trim();

    const early = await runCli(['feedback', '--session', handle, 'good'], { env: e });
    expect(early.code).toBe(2);
    expect(early.stderr).toContain('has no reply to rate yet');

    const send = await runCli(['send', '--session', handle, '--json', 'hello'], { env: e });
    expect(send.code, send.stderr).toBe(0);
    const messages = (JSON.parse(send.stdout) as { messages: Array<{ feedbackId?: string }> })
      .messages;
    const feedbackId = messages.at(-1)!.feedbackId;
    expect(feedbackId).toMatch(/\S/);

    const r = await runCli(
      ['feedback', '--session', handle, '--json', 'bad', 'the', 'wrong', 'order'],
      { env: e },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ handle, rating: 'BAD', feedbackId });
    expect(feedbacks()).toEqual([
      expect.objectContaining({ feedbackId, feedback: 'BAD', text: 'the wrong order' }),
    ]);

    const bad = await runCli(['feedback', '--session', handle, 'meh'], { env: e });
    expect(bad.code).toBe(2);
    await runCli(['end', '--session', handle], { env: e });
  });
});
