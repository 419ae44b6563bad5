/**
 * Summarizes a `.cpuprofile` from `node --cpu-prof`: time by package (xstate, axios, zod, Node
 * internals, project files), then the functions with the most self time.
 * `node --import tsx bench/profile/summarize.ts <file.cpuprofile> [per] [top] [filter]`: figures
 * are divided by `per` (e.g. the number of turns in the profile) when given; `filter` keeps only
 * functions whose file contains it.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, perArg, topArg, filter] = process.argv.slice(2);
if (!file) throw new Error('usage: summarize.ts <file.cpuprofile> [per] [top] [filter]');
const per = Number(perArg ?? 1) || 1;
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));

function group(frame: CallFrame): string {
  const { functionName: fn, url } = frame;
  if (fn === '(idle)' || fn === '(program)' || fn === '(garbage collector)') return fn;
  if (fn === 'writev' || fn === 'writeBuffer' || fn === 'writeUtf8String') return 'socket writes';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg === 'tsx' || url.includes('modules/esm') || url.includes('modules/cjs')) return 'loader';
  if (pkg) return pkg;
  if (url.startsWith('node:')) return 'node internals';
  const own = /\/((?:src|machines|bench)\/.*)$/.exec(url)?.[1];
  if (own) return own;
  return fn === '' ? '(native)' : `(native) ${fn}`;
}

const key = (f: CallFrame) =>
  `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|machines|bench)\//, '$1/')}:${f.lineNumber + 1}`;

const byGroup = new Map<string, number>();
const bySelf = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const node = nodes.get(id);
  const dt = profile.timeDeltas[i] ?? 0;
  if (!node) return;
  total += dt;
  const g = group(node.callFrame);
  byGroup.set(g, (byGroup.get(g) ?? 0) + dt);
  if (!filter || node.callFrame.url.includes(filter)) {
    const k = key(node.callFrame);
    bySelf.set(k, (bySelf.get(k) ?? 0) + dt);
  }
});

const show = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(
      ([k, v]) =>
        `${(v / per).toFixed(1).padStart(10)} µs  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`,
    )
    .join('\n');

console.log(`total ${(total / per).toFixed(1)} µs${per > 1 ? ` per unit (${per} units)` : ''}\n`);
console.log(`by package\n${show(byGroup, 25)}\n`);
console.log(`self time${filter ? ` (${filter})` : ''}\n${show(bySelf, top)}`);
