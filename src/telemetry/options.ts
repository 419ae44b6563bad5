/**
 * The `telemetry` option of the client, on its own so that the client options import nothing else
 * of telemetry.
 */
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';

/** The `telemetry` option of the client. */
export interface TelemetryOptions {
  /** Tracer provider to use. @default the global one (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider | undefined;
  /** Meter provider to use. @default the global one (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider | undefined;
  /**
   * Record what the user and the agent said, as `gen_ai.input.messages` and
   * `gen_ai.output.messages` (never variables, tokens or secrets). Content is sensitive: off
   * unless opted in here or with `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`
   * (`true`, `SPAN_ONLY` or `SPAN_AND_EVENT`).
   */
  captureContent?: boolean | undefined;
  /** Human-readable agent names by agent id, for `gen_ai.agent.name` and span names. */
  agentNames?: Readonly<Record<string, string>> | undefined;
}
