import { Option, type Command } from 'commander';
import { sessionMachine } from '../../../machines/session.machine.js';
import { toMermaid } from '../../diagram/mermaid.js';

/**
 * `agentforce-session diagram`: prints the session machine as a Mermaid `stateDiagram-v2`, drawn
 * from the machine's definition (paste it into a Markdown ```mermaid block or mermaid.live).
 */
export function registerDiagramCommand(program: Command): void {
  program
    .command('diagram')
    .description('Print the session state machine as a Mermaid stateDiagram-v2.')
    .addOption(
      new Option('--direction <direction>', 'layout direction').choices(['TB', 'LR']).default('TB'),
    )
    .option('--markdown', 'wrap the diagram in a ```mermaid fenced block')
    .action((options: { direction: 'TB' | 'LR'; markdown?: boolean }) => {
      const diagram = toMermaid(sessionMachine, {
        direction: options.direction === 'TB' ? undefined : options.direction,
      });
      process.stdout.write(options.markdown ? `\`\`\`mermaid\n${diagram}\`\`\`\n` : diagram);
    });
}
