/** Module hooks of `shipped.ts`: `src/**` and `machines/**` resolve to their build in `dist/`. */
import { existsSync } from 'node:fs';

const ROOT = new URL('../../', import.meta.url).href;
const OWN = ['src/', 'machines/'].map((dir) => ROOT + dir);

interface Resolved {
  url: string;
  format?: string | null;
}
type NextResolve = (specifier: string, context: unknown) => Promise<Resolved>;

export async function resolve(
  specifier: string,
  context: unknown,
  nextResolve: NextResolve,
): Promise<Resolved> {
  const resolved = await nextResolve(specifier, context);
  if (!OWN.some((dir) => resolved.url.startsWith(dir))) return resolved;
  const built = `${ROOT}dist/${resolved.url.slice(ROOT.length).replace(/\.ts$/, '.js')}`;
  if (!existsSync(new URL(built))) {
    throw new Error(`${built} is missing: run npm run build before the benchmark`);
  }
  return { url: built, format: 'module' };
}
