/**
 * Sanitized inspection: what a live inspector (Stately's, a log, a test) may see of a session
 * actor. Tokens and secrets never enter the session machine, but anything handed to an inspector
 * can leave the process (a WebSocket, a third-party service), so every inspection event is passed
 * through {@link redactSecrets} on the way out (see `redact.ts`). See docs/inspect.md.
 */
import type { ActorRefLike, AnyEventObject, InspectionEvent, Observer } from 'xstate';
import { guardLabel } from './diagram/mermaid.js';
import { redactSecrets, redactString, type SanitizeOptions } from './redact.js';

/** The parts of a snapshot an inspector needs, redacted. */
export interface SanitizedSnapshot {
  status?: string;
  value?: unknown;
  context?: unknown;
  output?: unknown;
  error?: unknown;
  input?: unknown;
}

/** A transition taken in a microstep, as plain ids. */
export interface SanitizedTransition {
  eventType: string;
  source: string;
  target: string[];
  /** The guard by name (`a and b` for `and(['a', 'b'])`). */
  guard?: string;
  reenter: boolean;
}

/**
 * An inspection event as plain, redacted JSON: safe to log, send or store. `actorId` is the
 * actor's id (`session` for a session actor, the invoke id for its children).
 */
export interface SanitizedInspectionEvent {
  type: InspectionEvent['type'];
  rootId: string;
  sessionId: string;
  actorId: string;
  parentId?: string;
  /** `@xstate.event`: the sender, if an actor sent it. */
  sourceId?: string;
  /** The event received (`@xstate.event`) or processed (`@xstate.snapshot`, `@xstate.microstep`). */
  event?: unknown;
  /** The snapshot after the event (`@xstate.snapshot`, `@xstate.microstep`), or at creation (`@xstate.actor`). */
  snapshot?: SanitizedSnapshot;
  /** `@xstate.actor`: the machine definition (its config), when the actor is a machine. */
  definition?: unknown;
  /** `@xstate.action`: the action executed. */
  action?: { type: string; params: unknown };
  /** `@xstate.microstep`: the transitions taken. */
  transitions?: SanitizedTransition[];
}

function refId(ref: ActorRefLike | undefined): string | undefined {
  if (!ref) return undefined;
  const id = (ref as { id?: unknown }).id;
  return typeof id === 'string' ? id : ref.sessionId;
}

function parentOf(ref: ActorRefLike | undefined): ActorRefLike | undefined {
  return (ref as { _parent?: ActorRefLike } | undefined)?._parent;
}

/** Redacts the parts of a snapshot an inspector shows. */
export function sanitizeSnapshot(
  snapshot: unknown,
  options: SanitizeOptions = {},
): SanitizedSnapshot {
  if (typeof snapshot !== 'object' || snapshot === null) return {};
  const s = snapshot as Record<string, unknown>;
  const out: SanitizedSnapshot = {};
  if (typeof s['status'] === 'string') out.status = s['status'];
  for (const key of ['value', 'context', 'output', 'error', 'input'] as const) {
    if (s[key] !== undefined) out[key] = redactSecrets(s[key], options);
  }
  return out;
}

/** A transition definition as plain ids. */
export function describeTransition(t: unknown): SanitizedTransition {
  const d = t as {
    eventType?: unknown;
    source?: { id?: unknown };
    target?: readonly { id?: unknown }[];
    guard?: unknown;
    reenter?: unknown;
  };
  const out: SanitizedTransition = {
    eventType: typeof d.eventType === 'string' ? d.eventType : '',
    source: typeof d.source?.id === 'string' ? d.source.id : '',
    target: (d.target ?? []).map((n) => (typeof n.id === 'string' ? n.id : '')),
    reenter: d.reenter === true,
  };
  const guard = guardLabel(d.guard);
  if (guard !== '') out.guard = guard;
  return out;
}

function definitionOf(ref: ActorRefLike, options: SanitizeOptions): unknown {
  const config = (ref as { logic?: { config?: unknown } }).logic?.config;
  return config === undefined ? undefined : redactSecrets(config, options);
}

/**
 * One inspection event as plain, redacted JSON ({@link SanitizedInspectionEvent}). Use it to log
 * inspection events or to forward them anywhere outside the process.
 *
 * @example
 * ```ts
 * const client = new AgentforceClient({
 *   myDomainUrl, auth,
 *   inspect: (ev) => logger.debug(sanitizeInspectionEvent(ev)),
 * });
 * ```
 */
export function sanitizeInspectionEvent(
  event: InspectionEvent,
  options: SanitizeOptions = {},
): SanitizedInspectionEvent {
  const out: SanitizedInspectionEvent = {
    type: event.type,
    rootId: event.rootId,
    sessionId: event.actorRef.sessionId,
    actorId: refId(event.actorRef) ?? event.actorRef.sessionId,
  };
  const parent = parentOf(event.actorRef);
  if (parent) out.parentId = parent.sessionId;
  switch (event.type) {
    case '@xstate.event':
      if (event.sourceRef) out.sourceId = event.sourceRef.sessionId;
      out.event = redactSecrets(event.event, options);
      break;
    case '@xstate.snapshot':
    case '@xstate.transition':
      out.event = redactSecrets(event.event, options);
      out.snapshot = sanitizeSnapshot(event.snapshot, options);
      break;
    case '@xstate.microstep':
      out.event = redactSecrets(event.event, options);
      out.snapshot = sanitizeSnapshot(event.snapshot, options);
      out.transitions = event._transitions.map(describeTransition);
      break;
    case '@xstate.action':
      out.action = {
        type: redactString(String(event.action.type), options),
        params: redactSecrets(event.action.params, options) ?? null,
      };
      break;
    case '@xstate.actor': {
      out.snapshot = sanitizeSnapshot(event.actorRef.getSnapshot(), options);
      const definition = definitionOf(event.actorRef, options);
      if (definition !== undefined) out.definition = definition;
      break;
    }
    default:
      break;
  }
  return out;
}

/** The inspection observer shapes xstate's `inspect` option accepts. */
export type InspectionObserver = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/**
 * A stand-in for an actor ref that shows an inspector only redacted data: its ids, its parent,
 * a redacted snapshot and a redacted definition. Sending to it does nothing.
 */
function facadeOf(
  ref: ActorRefLike,
  options: SanitizeOptions,
  cache: WeakMap<object, ActorRefLike>,
): ActorRefLike {
  const known = cache.get(ref);
  if (known) return known;
  const parent = parentOf(ref);
  const facade = {
    id: refId(ref),
    sessionId: ref.sessionId,
    _parent: parent ? facadeOf(parent, options, cache) : undefined,
    get logic() {
      const config = (ref as { logic?: { config?: unknown } }).logic?.config;
      return config === undefined ? {} : { config: redactSecrets(config, options) };
    },
    getSnapshot: () => sanitizeSnapshot(ref.getSnapshot(), options),
    send: () => undefined,
  } as unknown as ActorRefLike;
  cache.set(ref, facade);
  return facade;
}

/**
 * Wraps an inspection observer (e.g. `createSkyInspector().inspect` or
 * `createWebSocketInspector().inspect` from `@statelyai/inspect`) so that it only ever receives
 * redacted data: events, snapshots, actions and transitions are redacted copies, and actor refs
 * are stand-ins whose `getSnapshot()` and `logic.config` are redacted. Pass the result as the
 * client's `inspect` option.
 *
 * @example
 * ```ts
 * import { createSkyInspector } from '@statelyai/inspect';
 * const sky = createSkyInspector(statelyInspectorOptions());
 * const client = new AgentforceClient({ myDomainUrl, auth, inspect: sanitizeInspector(sky.inspect) });
 * ```
 */
export function sanitizeInspector(
  inspector: InspectionObserver,
  options: SanitizeOptions = {},
): Observer<InspectionEvent> {
  const next = typeof inspector === 'function' ? inspector : inspector.next?.bind(inspector);
  const cache = new WeakMap<object, ActorRefLike>();
  const redactEvent = (e: AnyEventObject) => redactSecrets(e, options) as AnyEventObject;
  return {
    next: (event) => {
      if (!next) return;
      const actorRef = facadeOf(event.actorRef, options, cache);
      const base = { rootId: event.rootId, actorRef };
      let safe: InspectionEvent;
      switch (event.type) {
        case '@xstate.event':
          safe = {
            ...base,
            type: event.type,
            event: redactEvent(event.event),
            sourceRef: event.sourceRef ? facadeOf(event.sourceRef, options, cache) : undefined,
          };
          break;
        case '@xstate.snapshot':
        case '@xstate.transition':
          safe = {
            ...base,
            type: event.type,
            event: redactEvent(event.event),
            snapshot: sanitizeSnapshot(event.snapshot, options) as never,
          };
          break;
        case '@xstate.microstep':
          safe = {
            ...base,
            type: event.type,
            event: redactEvent(event.event),
            snapshot: sanitizeSnapshot(event.snapshot, options) as never,
            _transitions: event._transitions.map(describeTransition) as never,
          };
          break;
        case '@xstate.action':
          safe = {
            ...base,
            type: event.type,
            action: {
              type: redactString(String(event.action.type), options),
              params: redactSecrets(event.action.params, options),
            },
          };
          break;
        default:
          safe = { ...base, type: event.type };
          break;
      }
      next(safe);
    },
    error: (err: unknown) => {
      if (typeof inspector !== 'function') inspector.error?.(redactSecrets(err, options));
    },
    complete: () => {
      if (typeof inspector !== 'function') inspector.complete?.();
    },
  };
}

/**
 * Options for `@statelyai/inspect`'s `createWebSocketInspector`, `createSkyInspector` or
 * `createInspector` that redact what they send: `sanitizeContext`, `sanitizeEvent`, and a
 * `serialize` that redacts the whole outgoing event, the machine `definition` text included.
 * Use them together with {@link sanitizeInspector}.
 */
export function statelyInspectorOptions(options: SanitizeOptions = {}): {
  sanitizeContext: (context: Record<string, unknown>) => Record<string, unknown>;
  sanitizeEvent: (event: AnyEventObject) => AnyEventObject;
  serialize: <T>(event: T) => T;
} {
  return {
    sanitizeContext: (context) => redactSecrets(context, options) as Record<string, unknown>,
    sanitizeEvent: (event) => redactSecrets(event, options) as AnyEventObject,
    serialize: <T>(event: T): T => {
      const copy = redactSecrets(event, options) as T;
      const definition = (copy as { definition?: unknown } | null)?.definition;
      if (typeof definition === 'string') {
        let text: string;
        try {
          text = JSON.stringify(redactSecrets(JSON.parse(definition), options));
        } catch {
          text = redactString(definition, options);
        }
        (copy as { definition?: unknown }).definition = text;
      }
      return copy;
    },
  };
}
