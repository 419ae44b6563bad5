/**
 * `node --import tsx --import ./bench/lib/shipped.ts <file>`: the library's own modules (`src/`,
 * `machines/`) load from the package as built (`dist/`, by `tsc`), not from tsx's on-the-fly
 * compile. tsx compiles with esbuild's `keepNames`, which wraps every named function in a
 * `__name()` call that redefines its `name`: each closure the library makes then becomes a
 * dictionary-mode function (hundreds of bytes, slower to make and to call), a cost the shipped
 * package does not have and the baselines (axios, `node:http`, already JavaScript) never pay.
 * Run `npm run build` first (`npm run bench` does).
 */
import { register } from 'node:module';

register('./shipped-hooks.ts', import.meta.url);
