#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAgentforceError } from '../index.js';
import { registerCommands } from './commands/index.js';
import { EXIT, ExitError, UsageError } from './exit-codes.js';
import { handleSignals, interrupted } from './interrupt.js';
import { inCliTerms } from './output.js';

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
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Where to read about the flags of the command being run. */
function helpHint(program: Command, argv: string[]): string {
  const name = argv[2];
  const command = program.commands.some((c) => c.name() === name) ? ` ${name}` : '';
  return `(run agentforce-session${command} --help for the flags and examples)`;
}

/** One line after commander's own error message: what to do instead. */
function usageHint(program: Command, argv: string[], err: CommanderError): string {
  if (err.code === 'commander.unknownOption' && /'--client-secret[=']/.test(err.message)) {
    return (
      '(a secret is never a flag: it would show in `ps` and the shell history; put it in a file ' +
      'and pass --client-secret-file FILE, or set SF_CLIENT_SECRET)'
    );
  }
  return helpHint(program, argv);
}

/** Runs the CLI; resolves with the exit code (128 + the signal's number after SIGINT/SIGTERM). */
export async function main(argv: string[]): Promise<number> {
  handleSignals();
  const code = await run(argv);
  return interrupted()?.code ?? code;
}

async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (interrupted()) return EXIT.failure;
    if (err instanceof CommanderError) {
      // --help and --version exit 0; everything else commander rejects is a usage error.
      if (err.exitCode === 0) return EXIT.ok;
      process.stderr.write(`${usageHint(program, argv, err)}\n`);
      return EXIT.usage;
    }
    if (err instanceof ExitError) return err.exitCode;
    const usage =
      err instanceof UsageError || (isAgentforceError(err) && err.code === 'invalid_argument');
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`agentforce-session: ${usage ? inCliTerms(message) : message}\n`);
    if (usage) process.stderr.write(`${helpHint(program, argv)}\n`);
    return usage ? EXIT.usage : EXIT.failure;
  }
}

process.exitCode = await main(process.argv);
