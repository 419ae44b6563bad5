/**
 * The production session machine, stepped without running anything: the pure `transition()` of
 * the machine with an actor scope that executes no action, as `xstate/graph` walks it. Shared by
 * the path generator of the testing kit and by the project's own model tests.
 */
import {
  createEmptyActor,
  type AnyActorScope,
  type AnyEventObject,
  type SnapshotFrom,
} from 'xstate';
import { sessionMachine } from '../../machines/session.machine.js';
import type { SessionEmitted, SessionInput } from '../../machines/session.types.js';

/** A snapshot of the session machine. */
export type Snap = SnapshotFrom<typeof sessionMachine>;

/** An actor scope that runs nothing and collects the actions (as `xstate/graph` does). */
function inertScope(): { scope: AnyActorScope; actions: unknown[] } {
  const actions: unknown[] = [];
  const self = createEmptyActor();
  const scope = {
    self,
    logger: () => undefined,
    id: '',
    sessionId: 'model',
    defer: () => undefined,
    system: self.system,
    stopChild: () => undefined,
    emit: () => undefined,
    actionExecutor: (action: unknown) => actions.push(action),
  } as unknown as AnyActorScope;
  return { scope, actions };
}

/**
 * The machine's initial state and its actions: xstate's `initialTransition()` without its cost
 * (it builds a throwaway actor of the whole machine for every call, which takes milliseconds).
 */
export function modelStart(input: SessionInput): [Snap, unknown[]] {
  const { scope, actions } = inertScope();
  return [sessionMachine.getInitialSnapshot(scope as never, input), actions];
}

/** The next state and the actions: xstate's `transition()` without its cost (see {@link modelStart}). */
export function modelStep(snapshot: Snap, event: AnyEventObject): [Snap, unknown[]] {
  const { scope, actions } = inertScope();
  return [sessionMachine.transition(snapshot, event as never, scope as never), actions];
}

/** The events the machine emits in a step (from the actions a step returns). */
export function emittedBy(actions: readonly unknown[]): SessionEmitted[] {
  const out: SessionEmitted[] = [];
  for (const a of actions as { type: string; params?: { event?: SessionEmitted } }[]) {
    if (a.type === 'xstate.emit' && a.params?.event) out.push(a.params.event);
  }
  return out;
}

/** Whether the machine is running and in `value` (a state id path such as `active.sending`). */
export function inState(s: Snap, value: string): boolean {
  return s.status === 'active' && s.matches(value as never);
}
