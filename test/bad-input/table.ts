/** Prints the bad-input table as markdown: `npx tsx test/bad-input/table.ts`. */
import { renderTable } from './cases.js';

process.stdout.write(`${renderTable()}\n`);
