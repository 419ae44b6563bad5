import type { Command } from 'commander';
import { registerChatCommand } from './chat.js';
import { registerDiagramCommand } from './diagram.js';
import { registerDoctorCommand } from './doctor.js';
import { registerEndCommand } from './end.js';
import { registerFakeServerCommand } from './fake-server.js';
import { registerFeedbackCommand } from './feedback.js';
import { registerReplayCommand } from './replay.js';
import { registerSendCommand } from './send.js';
import { registerSessionsCommand } from './sessions.js';
import { registerStartCommand } from './start.js';

/** Adds every subcommand to the program. One file per command in this folder. */
export function registerCommands(program: Command): void {
  registerChatCommand(program);
  registerStartCommand(program);
  registerSendCommand(program);
  registerEndCommand(program);
  registerFeedbackCommand(program);
  registerSessionsCommand(program);
  registerReplayCommand(program);
  registerDoctorCommand(program);
  registerFakeServerCommand(program);
  registerDiagramCommand(program);
}
