/**
 * Model suite: how long generating the model-based test paths takes, and how many there are:
 * `generatePaths` of `test/model/model.ts` over `MODEL_CONFIGS`, with the simple-path bounds the
 * model tests use. Median of repeated generations.
 */
import { MODEL_CONFIGS, SIMPLE_PATHS, generatePaths } from '../test/model/model.js';
import { childArgs, printResult, progress } from './lib/process.js';
import { roundSummary, summarize, type Summary } from './lib/stats.js';

export interface ModelPathsArgs {
  repeats: number;
}

export interface ModelPathsResult {
  paths: number;
  byKind: Record<string, number>;
  /** ms per full generation, one value per repeat. */
  generationMs: Summary;
}

export function runModelPaths(args: ModelPathsArgs): ModelPathsResult {
  let paths: { kind: string }[] = [];
  const times: number[] = [];
  for (let i = 0; i < args.repeats; i++) {
    const start = process.hrtime.bigint();
    paths = MODEL_CONFIGS.flatMap((config) => generatePaths(config, SIMPLE_PATHS));
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    progress(`model paths: ${paths.length} paths in ${times.at(-1)!.toFixed(0)} ms`);
  }
  const byKind: Record<string, number> = {};
  for (const p of paths) byKind[p.kind] = (byKind[p.kind] ?? 0) + 1;
  return { paths: paths.length, byKind, generationMs: roundSummary(summarize(times), 0) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printResult(runModelPaths(childArgs<ModelPathsArgs>()));
}
