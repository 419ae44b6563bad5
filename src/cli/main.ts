#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAgentforceError } from '../index.js';
import { registerCommands } from './commands/index.js';
import { EXIT, ExitError, UsageError } from './exit-codes.js';

export { EXIT } from './exit-codes.js';

/** The package version: from the nearest package.json above this file (src/ or dist/src/). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'agentforce-session' && pkg.version) return pkg.version;
    } catch {
      // not here: look one level up
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

export function buildProgram(): Command {
  const program = new Command('agentforce-session')
    .description(
      'Talk to Salesforce Agentforce agents through the Agent API, or emulate it locally.',
    )
    .version(packageVersion())
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; everything else commander rejects is a usage error.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof ExitError) return err.exitCode;
    const usage =
      err instanceof UsageError || (isAgentforceError(err) && err.code === 'invalid_argument');
    process.stderr.write(
      `agentforce-session: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    if (usage) process.stderr.write('(see --help)\n');
    return usage ? EXIT.usage : EXIT.failure;
  }
}

process.exitCode = await main(process.argv);
