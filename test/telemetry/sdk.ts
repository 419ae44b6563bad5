/**
 * The real OpenTelemetry SDK with in-memory exporters, for telemetry tests: spans as they ended,
 * metrics as a collection sees them, and the AsyncLocalStorage context manager a Node app has.
 */
import { context, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

let contextManager: AsyncLocalStorageContextManager | undefined;

/** Installs the context manager a Node app with an SDK has (once per test file). */
export function useContextManager(): void {
  if (contextManager) return;
  contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
}

export interface TestSdk {
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  exporter: InMemorySpanExporter;
  spans(): ReadableSpan[];
  /** Spans named `name` (or starting with it followed by a space). */
  named(name: string): ReadableSpan[];
  /** Data points of a metric, after a collection. */
  points(metric: string): Promise<DataPoint<unknown>[]>;
  /** Sum of a counter's points whose attributes include `match`. */
  sum(metric: string, match?: Attributes): Promise<number>;
  /** Count of a histogram's recordings whose attributes include `match`. */
  count(metric: string, match?: Attributes): Promise<number>;
}

export function testSdk(): TestSdk {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const points = async (metric: string): Promise<DataPoint<unknown>[]> => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .filter((m) => m.descriptor.name === metric)
      .flatMap((m) => m.dataPoints as DataPoint<unknown>[]);
  };
  const matches = (attrs: Attributes, match: Attributes = {}) =>
    Object.entries(match).every(([k, v]) => attrs[k] === v);
  return {
    tracerProvider,
    meterProvider,
    exporter,
    spans: () => exporter.getFinishedSpans(),
    named: (name) =>
      exporter.getFinishedSpans().filter((s) => s.name === name || s.name.startsWith(`${name} `)),
    points,
    sum: async (metric, match) =>
      (await points(metric))
        .filter((p) => matches(p.attributes, match))
        .reduce((total, p) => total + (p.value as number), 0),
    count: async (metric, match) =>
      (await points(metric))
        .filter((p) => matches(p.attributes, match))
        .reduce((total, p) => total + (p.value as Histogram).count, 0),
  };
}
