import type { Command } from 'commander';
import { registerFakeServerCommand } from './fake-server.js';

/** Adds every subcommand to the program. One file per command in this folder. */
export function registerCommands(program: Command): void {
  registerFakeServerCommand(program);
}
