/**
 * Parameters of a fast-check property that can be replayed. The seed is printed on every run; set
 * `PROPERTY_SEED` (and, from fast-check's failure report, `PROPERTY_PATH`) to run the same cases
 * again. `PROPERTY_RUNS` sets the number of cases; a number below 1 is refused, because a property
 * that runs no case passes without testing anything.
 */
import type { Parameters } from 'fast-check';

export function propertyParameters<T>(name: string, defaultRuns: number): Parameters<T> {
  const runsText = process.env['PROPERTY_RUNS'];
  const numRuns = runsText === undefined || runsText === '' ? defaultRuns : Number(runsText);
  if (!Number.isInteger(numRuns) || numRuns < 1) {
    throw new Error(
      `PROPERTY_RUNS=${runsText} runs no case of "${name}": set a whole number of at least 1, or unset it (default ${defaultRuns})`,
    );
  }
  const seedText = process.env['PROPERTY_SEED'];
  const seed =
    seedText === undefined || seedText === ''
      ? Math.floor(Math.random() * 0x7fffffff)
      : Number(seedText);
  if (!Number.isInteger(seed)) throw new Error(`PROPERTY_SEED=${seedText} is not an integer`);
  const path = process.env['PROPERTY_PATH'] || undefined;
  console.log(
    `property "${name}": seed ${seed}, ${numRuns} runs${path ? `, path ${path}` : ''} (replay: PROPERTY_SEED=${seed}${path ? ` PROPERTY_PATH=${path}` : ''})`,
  );
  return path === undefined ? { seed, numRuns } : { seed, numRuns, path };
}
