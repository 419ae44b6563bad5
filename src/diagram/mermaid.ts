/**
 * The session machine drawn from its definition: a Mermaid `stateDiagram-v2`, with compound
 * states nested, each transition labelled with its event and its named guards, and the actor each
 * state invokes. Nothing is drawn by hand, so the drawing cannot drift from the code.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';

/** Options of {@link toMermaid}. */
export interface MermaidOptions {
  /** Layout direction. @default 'TB' */
  direction?: 'TB' | 'LR' | undefined;
}

/** The id of the pseudo-state that stands for "any state" (transitions of the machine itself). */
const ANY_STATE = 'any_state';

/** A Mermaid state id: the state's path joined with `_` (Mermaid ids allow no `-`, `.` or `:`). */
function idOf(node: AnyStateNode): string {
  const id = node.path.join('_').replace(/[^A-Za-z0-9_]/g, '_');
  return id === '' ? ANY_STATE : id;
}

/**
 * Text Mermaid shows as is: no `:` or `;` (they end a label), no `#` (entity codes), no quotes,
 * brackets of state syntax or line breaks.
 */
function text(value: string): string {
  return value
    .replace(/[:;]/g, ' ')
    .replace(/[#"{}<>]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A guard as its names: `isCurrentReply and replyEndsSession` for `and([...])`. */
export function guardLabel(guard: unknown): string {
  if (guard === undefined || guard === null) return '';
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const g = guard as { guards?: unknown[]; name?: string };
    if (Array.isArray(g.guards)) {
      const parts = g.guards.map(guardLabel);
      if (g.name === 'not') return `not ${parts.join(' ')}`;
      return parts.join(g.name === 'or' ? ' or ' : ' and ');
    }
    return g.name !== undefined && g.name !== '' ? g.name : 'inline guard';
  }
  if (typeof guard === 'object') {
    const type = (guard as { type?: unknown }).type;
    return typeof type === 'string' ? type : 'guard';
  }
  return 'guard';
}

/** An event type as a label: `done startSession`, `error sendMessage`, `after idle`, `always`. */
export function eventLabel(eventType: string): string {
  if (eventType === '') return 'always';
  const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (actor) return `${actor[1]} ${actor[2]}`;
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return `after ${after[1]}`;
  return eventType;
}

interface TransitionLike {
  eventType: string;
  guard?: unknown;
  target?: readonly AnyStateNode[] | undefined;
}

function childrenOf(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states);
}

function invokesOf(node: AnyStateNode): string[] {
  return node.invoke.map((inv) => {
    const src = typeof inv.src === 'string' ? inv.src : inv.id;
    return src === inv.id ? `invoke ${src}` : `invoke ${src} as ${inv.id}`;
  });
}

/**
 * Draws a machine as a Mermaid `stateDiagram-v2`. Compound states are nested blocks with their
 * initial state; a state that invokes an actor says so under its name (`invoke startSession`);
 * transitions are labelled `EVENT [guard]`, done and error events of invoked actors as
 * `done startSession` and `error sendMessage`, eventless ones as `always`; a transition without a
 * target is drawn as a loop on its state; transitions of the machine itself hang on an
 * `any state` box.
 *
 * @example
 * ```ts
 * import { sessionMachine } from 'agentforce-session';
 * console.log(toMermaid(sessionMachine));
 * ```
 */
export function toMermaid(machine: AnyStateMachine, options: MermaidOptions = {}): string {
  const lines: string[] = ['stateDiagram-v2'];
  if (options.direction) lines.push(`  direction ${options.direction}`);
  const root = machine.root;

  const declare = (node: AnyStateNode, indent: string) => {
    const initial = node.initial?.target[0];
    if (initial) lines.push(`${indent}[*] --> ${idOf(initial)}`);
    for (const child of childrenOf(node)) {
      const id = idOf(child);
      const label = text(child.key);
      const invokes = invokesOf(child).map(text);
      if (childrenOf(child).length > 0) {
        lines.push(`${indent}state "${label}" as ${id} {`);
        declare(child, `${indent}  `);
        lines.push(`${indent}}`);
        for (const inv of invokes) lines.push(`${indent}note right of ${id} : ${inv}`);
      } else {
        lines.push(`${indent}state "${label}" as ${id}`);
        for (const inv of invokes) lines.push(`${indent}${id} : ${inv}`);
      }
      if (child.type === 'final') lines.push(`${indent}${id} --> [*]`);
    }
  };
  declare(root, '  ');

  const edges: string[] = [];
  const walk = (node: AnyStateNode) => {
    const transitions: TransitionLike[] = [
      ...[...node.transitions.values()].flat(),
      ...(node.always ?? []),
    ];
    for (const t of transitions) {
      const guard = guardLabel(t.guard);
      const label = text(`${eventLabel(t.eventType)}${guard ? ` [${guard}]` : ''}`);
      const source = idOf(node);
      const targets = t.target && t.target.length > 0 ? t.target.map(idOf) : [source];
      for (const target of targets) edges.push(`  ${source} --> ${target} : ${label}`);
    }
    for (const child of childrenOf(node)) walk(child);
  };
  walk(root);
  if (edges.some((e) => e.startsWith(`  ${ANY_STATE} `))) {
    lines.push(`  state "any state" as ${ANY_STATE}`);
  }
  lines.push(...edges);
  return lines.join('\n') + '\n';
}
