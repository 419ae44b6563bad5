/**
 * Optional peer dependencies: packages only some features need, so that the users of the rest do
 * not install them. `ioredis` is loaded when a `RedisStore` is given a URL, `@statelyai/inspect`
 * when the live inspector starts (`chat --inspect`). Missing, they fail with an error that names
 * the package to install, at the moment the feature is used.
 */
import { createRequire } from 'node:module';

/** A feature was used whose optional package is not installed. */
export class MissingDependencyError extends Error {
  override name = 'MissingDependencyError';

  /**
   * @param packageName - the package to install, e.g. `ioredis`.
   * @param feature - what needs it, in words, e.g. `RedisStore (agentforce-session/redis)`.
   */
  constructor(
    readonly packageName: string,
    feature: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${feature} needs the package ${packageName}, which is not installed. ` +
        `Fix: npm install ${packageName}`,
      options,
    );
  }
}

/** Whether `err` says that `packageName` itself (not something it imports) was not found. */
function isMissing(err: unknown, packageName: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' && e?.code !== 'MODULE_NOT_FOUND') return false;
  return typeof e.message === 'string' && e.message.includes(`'${packageName}'`);
}

const require = createRequire(import.meta.url);

/**
 * Loads a CommonJS optional package synchronously.
 *
 * @throws MissingDependencyError when it is not installed.
 */
export function requireOptional<T>(packageName: string, feature: string): T {
  try {
    return require(packageName) as T;
  } catch (err) {
    if (isMissing(err, packageName))
      throw new MissingDependencyError(packageName, feature, { cause: err });
    throw err;
  }
}

/**
 * Loads an optional package through `load` (a literal `import('…')`, so that bundlers see it).
 *
 * @throws MissingDependencyError when it is not installed.
 */
export async function importOptional<T>(
  load: () => Promise<T>,
  packageName: string,
  feature: string,
): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (isMissing(err, packageName))
      throw new MissingDependencyError(packageName, feature, { cause: err });
    throw err;
  }
}
