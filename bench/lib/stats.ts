/** Summaries of repeated measurements: medians and spreads, never a single run. */

export interface Summary {
  /** Number of samples. */
  n: number;
  median: number;
  p25: number;
  p75: number;
  min: number;
  max: number;
}

/** The `q` quantile (0..1) of sorted values, linear interpolation between ranks. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** Percentiles of a large sample (latencies). */
export function percentiles(
  values: readonly number[],
  qs: readonly number[],
): Record<string, number> {
  const sorted = Float64Array.from(values).sort();
  const out: Record<string, number> = {};
  for (const q of qs) out[`p${Math.round(q * 1000) / 10}`] = quantile(sorted, q);
  return out;
}

/** Rounds for display and JSON. */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function roundSummary(s: Summary, digits = 1): Summary {
  return {
    n: s.n,
    median: round(s.median, digits),
    p25: round(s.p25, digits),
    p75: round(s.p75, digits),
    min: round(s.min, digits),
    max: round(s.max, digits),
  };
}

/** Microseconds since an origin from `process.hrtime.bigint()`. */
export function microsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1000;
}

/** Client CPU (user + system) in microseconds since `start`. */
export function cpuMicrosSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}
