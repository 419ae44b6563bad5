/** Fault names (as counted and as keys of random rates), and the routes each fault applies to. */
import {
  EMULATOR_ROUTES,
  type EmulatorRoute,
  type Fault,
  type FaultName,
  type RandomFaultOptions,
} from './fault-types.js';

const SESSION_ROUTES: ReadonlySet<EmulatorRoute> = new Set(['send', 'stream', 'end', 'feedback']);
const TURN_ROUTES: ReadonlySet<EmulatorRoute> = new Set(['send', 'stream']);
const STREAM_ROUTES: ReadonlySet<EmulatorRoute> = new Set(['stream']);
export const ALL_ROUTES: ReadonlySet<EmulatorRoute> = new Set(EMULATOR_ROUTES);

const SIMPLE_NAMES = [
  'delay',
  'dropBefore',
  'dropAfter',
  'malformed',
  'sessionNotFound',
  'sessionEnded',
  'streamError',
  'validationFailure',
  'stall',
  'dropMidStream',
] as const;

/** The name under which a fault is counted. */
export function faultName(fault: Fault): FaultName {
  if ('status' in fault && !('streamError' in fault)) return `status:${fault.status}`;
  if ('delayMs' in fault) return 'delay';
  if ('drop' in fault) return fault.drop === 'before' ? 'dropBefore' : 'dropAfter';
  if ('malformed' in fault) return 'malformed';
  if ('sessionNotFound' in fault) return 'sessionNotFound';
  if ('sessionEnded' in fault) return 'sessionEnded';
  if ('streamError' in fault) return 'streamError';
  if ('validationFailure' in fault) return 'validationFailure';
  if ('stall' in fault) return 'stall';
  return 'dropMidStream';
}

/** The routes a fault can apply to. */
export function faultRoutes(fault: Fault): ReadonlySet<EmulatorRoute> {
  return routesOfName(faultName(fault));
}

export function routesOfName(name: FaultName): ReadonlySet<EmulatorRoute> {
  switch (name) {
    case 'sessionNotFound':
      return SESSION_ROUTES;
    case 'sessionEnded':
      return TURN_ROUTES;
    case 'streamError':
    case 'validationFailure':
    case 'stall':
    case 'dropMidStream':
      return STREAM_ROUTES;
    default:
      return ALL_ROUTES;
  }
}

/** The fault a random rate names, with the random options' defaults. */
export function faultFromName(name: FaultName, opts: RandomFaultOptions): Fault {
  const statusMatch = /^status:(\d{3})$/.exec(name);
  if (statusMatch) {
    const status = Number(statusMatch[1]);
    if (status < 400 || status > 599) throw new TypeError(`rates: ${name} is not an error status`);
    const retryAfter = opts.retryAfter ?? 1;
    return status === 429 || status === 503 ? { status, retryAfter } : { status };
  }
  const afterEvents = opts.afterEvents ?? 1;
  switch (name) {
    case 'delay':
      return { delayMs: opts.delayMs ?? 50 };
    case 'dropBefore':
      return { drop: 'before' };
    case 'dropAfter':
      return { drop: 'after' };
    case 'malformed':
      return { malformed: true };
    case 'sessionNotFound':
      return { sessionNotFound: true };
    case 'sessionEnded':
      return { sessionEnded: true };
    case 'streamError':
      return { streamError: true, afterEvents };
    case 'validationFailure':
      return { validationFailure: true, afterChunks: afterEvents };
    case 'stall':
      return { stall: true, afterEvents };
    case 'dropMidStream':
      return { dropMidStream: true, afterEvents };
    default:
      throw new TypeError(
        `rates: unknown fault name ${JSON.stringify(name)} (use status:<code>, ${SIMPLE_NAMES.join(', ')})`,
      );
  }
}
