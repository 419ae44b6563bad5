/**
 * The idle deadline, on a clock: the action that stamps it and the actor that sends
 * `IDLE_TIMEOUT` when it passes. The machine uses them on the process's clock; the client
 * provides both again on its own (`ClientOptions.clock`), so that the two always agree.
 */
import {
  enqueueActions,
  fromCallback,
  type EventObject,
  type ParameterizedObject,
  type ProvidedActor,
} from 'xstate';
import type { Clock } from '../src/options.js';
import type { IdleDeadlineInput, SessionContext, SessionEvent } from './session.types.js';

/**
 * The `stampIdleDeadline` action on `clock`: the deadline is now plus `idleTimeoutMs`. Without an
 * idle timeout nothing is assigned (every assign copies the whole context).
 */
export function stampIdleDeadlineOn<
  TActor extends ProvidedActor,
  TAction extends ParameterizedObject,
  TGuard extends ParameterizedObject,
  TEmitted extends EventObject,
  TDelay extends string = never,
>(clock: Pick<Clock, 'now'>) {
  return enqueueActions<
    SessionContext,
    SessionEvent,
    undefined,
    SessionEvent,
    TActor,
    TAction,
    TGuard,
    TDelay,
    TEmitted
  >(({ context, enqueue }) => {
    if (context.idleTimeoutMs !== null)
      enqueue.assign({ idleDeadline: clock.now() + context.idleTimeoutMs });
  });
}

/** The `idleDeadline` actor on `clock`: sends `IDLE_TIMEOUT` when the deadline passes. */
export function idleDeadlineOn(clock: Clock) {
  return fromCallback<SessionEvent, IdleDeadlineInput>(({ input, sendBack }) => {
    if (input.deadline === null) return undefined;
    const timer = clock.setTimeout(
      () => sendBack({ type: 'IDLE_TIMEOUT' }),
      Math.max(0, input.deadline - clock.now()),
    );
    return () => clock.clearTimeout(timer);
  });
}
