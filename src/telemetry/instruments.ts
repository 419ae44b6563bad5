/** The metric instruments, made once per client on the meter it was given (or the global one). */
import type { Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import { DURATION_BUCKETS, METRIC } from './conventions.js';

export interface Instruments {
  /** `gen_ai.client.operation.duration`: turns, session starts and ends, in seconds. */
  duration: Histogram;
  /** `gen_ai.client.operation.time_to_first_chunk`: streamed turns only, in seconds. */
  timeToFirstChunk: Histogram;
  sessionsOpen: UpDownCounter;
  turnsInFlight: UpDownCounter;
  turnsFailed: Counter;
  retries: Counter;
  expiries: Counter;
  restarts: Counter;
  leaseWait: Histogram;
  storeErrors: Counter;
  meter: Meter;
}

export function createInstruments(meter: Meter): Instruments {
  const seconds = { unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } };
  return {
    meter,
    duration: meter.createHistogram(METRIC.duration, {
      description: 'GenAI operation duration.',
      ...seconds,
    }),
    timeToFirstChunk: meter.createHistogram(METRIC.timeToFirstChunk, {
      description: 'Time to receive the first chunk of a streamed reply.',
      ...seconds,
    }),
    sessionsOpen: meter.createUpDownCounter(METRIC.sessionsOpen, {
      description: 'Agent API sessions open in this process.',
      unit: '{session}',
    }),
    turnsInFlight: meter.createUpDownCounter(METRIC.turnsInFlight, {
      description: 'Messages sent or waiting to be sent, not answered yet.',
      unit: '{turn}',
    }),
    turnsFailed: meter.createCounter(METRIC.turnsFailed, {
      description: 'Messages that got a typed failure instead of a reply, by error.type.',
      unit: '{turn}',
    }),
    retries: meter.createCounter(METRIC.retries, {
      description: 'Requests repeated after a failure, by error.type (the cause).',
      unit: '{retry}',
    }),
    expiries: meter.createCounter(METRIC.expiries, {
      description: 'Sessions found expired, by cause (server or idle).',
      unit: '{session}',
    }),
    restarts: meter.createCounter(METRIC.restarts, {
      description: 'Sessions replaced by a new one after expiry.',
      unit: '{session}',
    }),
    leaseWait: meter.createHistogram(METRIC.leaseWait, {
      description: "Time a conversation's turn waited for its lock in the store.",
      ...seconds,
    }),
    storeErrors: meter.createCounter(METRIC.storeErrors, {
      description: 'Failures of the session store seen by the session manager, by error.type.',
      unit: '{error}',
    }),
  };
}
