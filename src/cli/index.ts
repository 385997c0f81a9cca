import type { Command } from 'commander';
import { addCompletionCommand } from './completion.js';
import { addIdentityCommands } from './identity.js';
import { addImageCommands } from './images.js';
import { addJobCommands } from './jobs.js';
import { addSharingCommands } from './sharing.js';

/** The client commands (docs/cli.md): they talk to a running service with the caller's credentials. */
export function addClientCommands(program: Command): void {
  addSharingCommands(program);
  addJobCommands(program);
  addImageCommands(program);
  addIdentityCommands(program);
  addCompletionCommand(program);
}
