import { Option, type Command } from 'commander';
import { sessionMachine } from '../../../machines/session.machine.js';
import { toMermaid } from '../../diagram/mermaid.js';

const EXAMPLES = `
Examples:
  $ agentforce-session diagram > lifecycle.mmd
  $ agentforce-session diagram --direction LR --markdown >> notes.md

The diagram is drawn from the session machine itself, so it is never out of date. Paste it into a
\`\`\`mermaid block (GitHub renders it) or into https://mermaid.live.
`;

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
    .addHelpText('after', EXAMPLES)
    .action((options: { direction: 'TB' | 'LR'; markdown?: boolean }) => {
      const diagram = toMermaid(sessionMachine, {
        direction: options.direction === 'TB' ? undefined : options.direction,
      });
      process.stdout.write(options.markdown ? `\`\`\`mermaid\n${diagram}\`\`\`\n` : diagram);
    });
}
