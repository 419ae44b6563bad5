/**
 * The results file and the table of docs/benchmarks.md: each figure with its baseline from the
 * same run, the ratio, the target and whether it holds.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  node: string;
  platform: string;
  totalMemoryGB: number;
  /** 1-minute load average at the start and the end of the run (the machine may be shared). */
  loadAverage: { start: number; end: number };
}

export function machineInfo(loadAtStart: number): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) cpuModel = match[1].trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    totalMemoryGB: Math.round(os.totalmem() / 1e8) / 10,
    loadAverage: { start: loadAtStart, end: Math.round(os.loadavg()[0]! * 100) / 100 },
  };
}

/** One line of the results table. */
export interface Figure {
  /** What is measured. */
  name: string;
  /** The library's (or emulator's) figure, formatted, with its spread. */
  value: string;
  /** The baseline's figure from the same run, formatted. */
  baseline: string;
  /** The ratio the target is about (median of paired rounds where there are rounds). */
  ratio: number | null;
  /** The ratio's spread, formatted (p25–p75). */
  ratioSpread: string;
  /** The target, as text ("≤ 1.10"). */
  target: string;
  /** Whether the target holds; null for figures without a target. */
  pass: boolean | null;
}

export interface Results {
  command: string;
  quick: boolean;
  date: string;
  durationSeconds: number;
  machine: MachineInfo;
  figures: Figure[];
  benchmarks: Record<string, unknown>;
  /** Benchmarks that failed to run, with the error. */
  failures: Record<string, string>;
}

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

export function n(value: number, digits = 0): string {
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: digits }).format(value);
}

export function spread(s: { median: number; p25: number; p75: number }, unit = ''): string {
  return `${fmt.format(s.median)}${unit} (${fmt.format(s.p25)}–${fmt.format(s.p75)})`;
}

/** Two decimals, or three where two would hide which side of the target the ratio is on. */
function ratioText(f: Figure): string {
  const r = f.ratio ?? 0;
  const bound = /(\d+(?:\.\d+)?)/.exec(f.target)?.[1];
  if (f.pass !== null && bound !== undefined && Math.round(r * 100) / 100 === Number(bound))
    return r.toFixed(3);
  return r.toFixed(2);
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

/** The generated part of docs/benchmarks.md. */
export function markdown(results: Results): string {
  const m = results.machine;
  const lines: string[] = [];
  lines.push(
    `Run of ${results.date} (${results.quick ? 'quick smoke run' : 'full run'}, ${n(results.durationSeconds)} s), reproduce with \`${results.command}\`.`,
    '',
    '| machine | |',
    '| --- | --- |',
    `| CPUs (\`nproc\`) | ${m.cpus} |`,
    `| CPU model | ${cell(m.cpuModel)} |`,
    `| memory | ${m.totalMemoryGB} GB |`,
    `| Node | ${m.node} (${cell(m.platform)}) |`,
    `| load average (1 min) at start / end | ${m.loadAverage.start} / ${m.loadAverage.end} |`,
    '',
    '| figure | value | baseline (same run) | ratio (p25–p75) | target | holds |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const f of results.figures) {
    const ratio =
      f.ratio === null ? '' : `${ratioText(f)}${f.ratioSpread ? ` (${f.ratioSpread})` : ''}`;
    const holds = f.pass === null ? '' : f.pass ? 'yes' : '**no**';
    lines.push(
      `| ${cell(f.name)} | ${cell(f.value)} | ${cell(f.baseline)} | ${ratio} | ${cell(f.target)} | ${holds} |`,
    );
  }
  const failed = Object.entries(results.failures);
  if (failed.length > 0) {
    lines.push('', 'Benchmarks that did not run:', '');
    for (const [name, error] of failed) lines.push(`- ${name}: ${error}`);
  }
  return lines.join('\n');
}

export const DOC_START = '<!-- bench:results:start (written by npm run bench) -->';
export const DOC_END = '<!-- bench:results:end -->';

/** Replaces the generated part of a document, or appends it. */
export function spliceDoc(doc: string, generated: string): string {
  const block = `${DOC_START}\n${generated}\n${DOC_END}`;
  const start = doc.indexOf(DOC_START);
  const end = doc.indexOf(DOC_END);
  if (start < 0 || end < start) return `${doc.trimEnd()}\n\n${block}\n`;
  return doc.slice(0, start) + block + doc.slice(end + DOC_END.length);
}
