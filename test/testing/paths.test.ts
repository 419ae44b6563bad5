/**
 * The generated lifecycle paths of the testing kit: what they cover of the machine, replayed
 * step by step on the production machine (not read from the generator's own bookkeeping).
 */
import { describe, expect, it } from 'vitest';
import { sessionMachine } from '../../machines/session.machine.js';
import {
  lifecyclePaths,
  scenarioPath,
  ask,
  reply,
  expireNow,
  rateLimit,
} from '../../src/testing/index.js';
import { modelStart, modelStep } from '../../src/testing/machine.js';
import { STEPS, stepNamed } from '../../src/testing/steps.js';

const paths = lifecyclePaths();

/** Every state value and close reason the runs of the paths pass through. */
function visited(): { states: Set<string>; reasons: Set<string>; steps: Set<string> } {
  const states = new Set<string>();
  const reasons = new Set<string>();
  const steps = new Set<string>();
  for (const path of paths) {
    for (const run of path.runs) {
      let [s] = modelStart({ agentId: '0XxKIT000000001AAA', endpoint: 'https://kit.invalid' });
      run.forEach((name, i) => {
        steps.add(name);
        [s] = modelStep(s, stepNamed(name).event(s, `t${i}`));
        const value = typeof s.value === 'string' ? s.value : JSON.stringify(s.value);
        states.add(value);
        if (s.status === 'done') reasons.add(s.context.outcome?.reason ?? '?');
      });
      expect(s.status, `a run of "${path.description}" ends closed`).toBe('done');
    }
  }
  return { states, reasons, steps };
}

describe('generated lifecycle paths', () => {
  const { states, reasons, steps } = visited();

  it('rest in every state an app using send() can rest in, and close for every reason', () => {
    expect([...states].sort()).toEqual(
      [
        'awaitingInput',
        'closed',
        'ending',
        '{"active":"sending"}',
        '{"starting":"authorizing"}',
        '{"starting":"opening"}',
      ].sort(),
    );
    expect([...reasons].sort()).toEqual(['ended', 'ended-by-server', 'expired', 'failed']);
    // `idle` is the start of every run, `expired` a step on the way to a restart or a close.
    expect(Object.keys(sessionMachine.root.states).sort()).toEqual(
      ['active', 'awaitingInput', 'closed', 'ending', 'expired', 'idle', 'starting'].sort(),
    );
  });

  it('take every step, each failure kind among them', () => {
    expect([...steps].sort()).toEqual(STEPS.map((s) => s.name).sort());
    const codes = new Set(
      paths.flatMap((p) =>
        p.messages.flatMap((m) => (m.expected.answered ? [] : [m.expected.code])),
      ),
    );
    expect([...codes].sort()).toEqual(
      [
        'authentication',
        'connection',
        'rate_limited',
        'service_unavailable',
        'session_expired',
      ].sort(),
    );
  });

  it('each have their own description, which names each message once', () => {
    const descriptions = paths.map((p) => p.description);
    expect(new Set(descriptions).size).toBe(paths.length);
    for (const p of paths) {
      for (const m of p.messages) {
        const ord = m.n === 1 ? '1st' : m.n === 2 ? '2nd' : m.n === 3 ? '3rd' : `${m.n}th`;
        expect(p.description.split(`${ord} message`).length - 1, p.description).toBe(1);
      }
    }
  });

  it('expect a message after an expiry to be answered once, after a restart', () => {
    const p = paths.find(
      (x) =>
        x.runs[0]!.join(' ') ===
        'send tokenGranted started reply send expire tokenGranted started reply end endOk',
    );
    expect(p?.description).toBe(
      '1st message: answered once; 2nd message: the session expires on the server, a new session starts (restart 1), answered once; the app ends the conversation',
    );
    expect(p?.messages.map((m) => m.expected)).toEqual([
      { answered: true, act: 'reply' },
      { answered: true, act: 'reply' },
    ]);
    // One message, one restart: the second start is the restart's, no other request.
    expect(
      p?.requests.map((r) => `${r.route}${r.fault ? ` ${JSON.stringify(r.fault)}` : ''}`),
    ).toEqual(['token', 'start', 'send', 'send {"sessionNotFound":true}', 'start', 'send', 'end']);
  });
});

describe('scenarioPath', () => {
  it('fills in what the client does by itself between the steps written', () => {
    const path = scenarioPath({
      name: 'question, then expiry and a 429',
      turns: [
        { user: 'Where is my order?', then: [ask('Which order?')] },
        { user: '4242', then: [expireNow(), rateLimit(), reply('Shipped.')] },
      ],
    });
    expect(path.runs).toEqual([
      [
        'send',
        'tokenGranted',
        'started',
        'ask',
        'send',
        'expire',
        'tokenGranted',
        'started',
        'replyAfter429',
        'end',
        'endOk',
      ],
    ]);
    expect(path.messages.map((m) => [m.text, m.agentText, m.answersQuestion])).toEqual([
      ['Where is my order?', 'Which order?', false],
      ['4242', 'Shipped.', true],
    ]);
  });

  it('refuses a step written after its message was settled, naming the turn', () => {
    expect(() =>
      scenarioPath({ name: 'too late', turns: [{ then: [reply(), expireNow()] }] }),
    ).toThrow('scenario "too late": turn 1: expire cannot happen');
  });
});
