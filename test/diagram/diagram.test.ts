/**
 * The drawing of the machine: `toMermaid(sessionMachine)` draws every state and transition, is
 * text Mermaid can parse (checked against the statement forms of its `stateDiagram-v2` grammar),
 * is what docs/lifecycle.md embeds, and is what `agentforce-session diagram` prints.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { and, not, or } from 'xstate';
import { sessionMachine } from '../../machines/session.machine.js';
import { eventLabel, guardLabel, toMermaid } from '../../src/diagram/mermaid.js';
import { cleanEnv, ensureBuilt, runCli, tempDir } from '../cli/helpers.js';
import { machineDefinition } from '../model/model.js';

const DOC = new URL('../../docs/lifecycle.md', import.meta.url);
const SVG = new URL('../../docs/lifecycle.svg', import.meta.url);
const START = /<!-- diagram:start[^>]*-->\n\n```mermaid\n/;
const END = '```\n\n<!-- diagram:end -->';

const diagram = toMermaid(sessionMachine);
const lines = diagram.trimEnd().split('\n');

/** The statement forms of Mermaid's stateDiagram grammar that the generator may use. */
const ID = '[A-Za-z0-9_]+';
const LABEL = '[^:;\\n#"{}]+'; // a description ends at `:` or `;`; `#` starts a comment
const FORMS: readonly RegExp[] = [
  /^stateDiagram-v2$/,
  /^ *direction (TB|LR)$/,
  new RegExp(`^ *\\[\\*\\] --> (${ID})$`),
  new RegExp(`^ *(${ID}) --> \\[\\*\\]$`),
  new RegExp(`^ *state "(${LABEL})" as (${ID})( \\{)?$`),
  /^ *\}$/,
  new RegExp(`^ *(${ID}) : (${LABEL})$`),
  new RegExp(`^ *note right of (${ID}) : (${LABEL})$`),
  new RegExp(`^ *(${ID}) --> (${ID}) : (${LABEL})$`),
];

describe('toMermaid(sessionMachine)', () => {
  it('is made only of statements Mermaid parses, with balanced blocks and declared states', () => {
    const bad = lines.filter((line) => !FORMS.some((form) => form.test(line)));
    expect(bad, 'lines that are none of the statement forms').toEqual([]);
    let depth = 0;
    for (const line of lines) {
      if (line.endsWith('{')) depth++;
      if (line.trim() === '}') depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth, 'unbalanced state blocks').toBe(0);
    const declared = new Set(
      lines.flatMap((l) => /^ *state "[^"]*" as (\S+)/.exec(l)?.slice(1) ?? []),
    );
    const used = lines.flatMap((l) => {
      const m = /^ *(\S+) --> (\S+)/.exec(l);
      return m ? [m[1]!, m[2]!].filter((id) => id !== '[*]') : [];
    });
    expect(used.filter((id) => !declared.has(id))).toEqual([]);
  });

  it('draws every state, every transition with its event and guards, and every invoked actor', () => {
    const definition = machineDefinition(sessionMachine);
    const edges = lines.filter((l) => / --> /.test(l) && !l.includes('[*]'));
    expect(edges).toHaveLength(definition.transitions.length);
    for (const state of definition.states) {
      const id = state.replace(/^session\./, '').replace(/\./g, '_');
      expect(diagram).toContain(` as ${id}`);
    }
    for (const t of definition.transitions) {
      const label = `${eventLabel(t.eventType === 'always' ? '' : t.eventType)}${
        t.guard ? ` [${t.guard}]` : ''
      }`;
      expect(
        edges.some((e) => e.endsWith(` : ${label}`)),
        label,
      ).toBe(true);
    }
    for (const actor of [
      'authorize',
      'startSession',
      'sendMessage',
      'streamMessage',
      'endSession',
    ]) {
      expect(diagram).toContain(`: invoke ${actor}`);
    }
    expect(diagram).toContain(
      'active_sending --> closed : done sendMessage [isCurrentReply and replyEndsSession]',
    );
    expect(diagram).toContain('active_sending --> expired : error sendMessage [isSessionNotFound]');
    expect(diagram).not.toContain('[and]');
  });

  it('labels events and composite guards by name', () => {
    expect(eventLabel('xstate.done.actor.startSession')).toBe('done startSession');
    expect(eventLabel('xstate.error.actor.sendMessage')).toBe('error sendMessage');
    expect(eventLabel('xstate.after.idle.session.awaitingInput')).toBe('after idle');
    expect(eventLabel('')).toBe('always');
    const m = setup({
      guards: { a: () => true, b: () => true, c: () => true },
    }).createMachine({
      id: 'm',
      initial: 'x',
      states: {
        x: {
          on: {
            GO: [
              { guard: and(['a', or(['b', not('c')])]), target: 'y' },
              { guard: { type: 'a' }, target: 'y' },
            ],
          },
        },
        y: { type: 'final' },
      },
    });
    const out = toMermaid(m, { direction: 'LR' });
    expect(out).toContain('direction LR');
    expect(out).toContain('x --> y : GO [a and b or not c]');
    expect(out).toContain('x --> y : GO [a]');
    expect(guardLabel(undefined)).toBe('');
  });
});

describe('docs/lifecycle.md', () => {
  it('embeds the diagram of the machine as it is', () => {
    const doc = readFileSync(DOC, 'utf8');
    const start = START.exec(doc);
    const end = doc.indexOf(END);
    expect(start, 'the diagram:start marker and a mermaid block').not.toBeNull();
    expect(end, 'the diagram:end marker').toBeGreaterThan(0);
    const from = start!.index + start![0].length;
    const embedded = doc.slice(from, end);
    if (embedded !== diagram && process.env['UPDATE_DIAGRAM'] === '1') {
      writeFileSync(DOC, doc.slice(0, from) + diagram + doc.slice(end));
      return;
    }
    expect(
      embedded,
      'docs/lifecycle.md shows another machine: run UPDATE_DIAGRAM=1 npx vitest run test/diagram',
    ).toBe(diagram);
  });
});

describe('docs/lifecycle.svg', () => {
  it('was rendered from the diagram of the machine as it is', () => {
    const first = readFileSync(SVG, 'utf8').split('\n', 1)[0] ?? '';
    const sha = createHash('sha256').update(diagram).digest('hex');
    expect(
      /sha256 ([0-9a-f]{64})/.exec(first)?.[1],
      'docs/lifecycle.svg shows another machine: render it again (docs/lifecycle.md says how)',
    ).toBe(sha);
  });
});

describe('agentforce-session diagram', () => {
  const home = tempDir('afs-diagram-');
  beforeAll(() => ensureBuilt(), 120_000);

  it('prints the diagram, and wraps it for Markdown on request', async () => {
    const env = cleanEnv(home.dir);
    const plain = await runCli(['diagram'], { env });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(diagram);
    const md = await runCli(['diagram', '--markdown', '--direction', 'LR'], { env });
    expect(md.code).toBe(0);
    expect(md.stdout).toBe(
      '```mermaid\n' + toMermaid(sessionMachine, { direction: 'LR' }) + '```\n',
    );
  }, 60_000);

  it('refuses an unknown direction as a usage error', async () => {
    const bad = await runCli(['diagram', '--direction', 'UP'], { env: cleanEnv(home.dir) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--direction');
    expect(bad.stdout).toBe('');
    home.cleanup();
  }, 60_000);
});
