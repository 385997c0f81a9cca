import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { addAccountCommands } from '../../src/bin/accounts.js';

/** The commands as `ims` defines them (config flags left out: the process tests run them for real). */
function program(): Command {
  // Subcommands inherit both: a refusal throws instead of exiting, and prints nothing.
  const ims = new Command('ims').exitOverride().configureOutput({ writeErr: () => {} });
  addAccountCommands(ims, (cmd) => cmd, async () => assert.fail('no command runs here'));
  return ims;
}

/** The command at `path`, e.g. ['org', 'ou', 'create']. */
function commandAt(root: Command, path: readonly string[]): Command {
  return path.reduce((cmd, name) => {
    const sub = cmd.commands.find((c) => c.name() === name);
    assert.ok(sub, `no command ${path.join(' ')}`);
    return sub;
  }, root);
}

const COMMANDS = [
  ['domain'], ['domain', 'create'], ['domain', 'list'], ['org'], ['org', 'create'], ['org', 'show'], ['org', 'delete'],
  ['org', 'ou'], ['org', 'ou', 'create'], ['org', 'ou', 'delete'], ['org', 'ou', 'list'], ['org', 'account'],
  ['org', 'account', 'add'], ['org', 'account', 'move'], ['org', 'account', 'remove'], ['org', 'account', 'list'],
] as const;

describe('ims domain and ims org commands', () => {
  it('every command has a description and --help', () => {
    const root = program();
    const leaves = (cmd: Command, path: string[]): string[][] => cmd.commands.flatMap((c) =>
      [[...path, c.name()], ...leaves(c, [...path, c.name()])]);
    assert.deepEqual(leaves(root, []).map((p) => p.join(' ')).sort(), COMMANDS.map((p) => p.join(' ')).sort());
    for (const path of COMMANDS) {
      const cmd = commandAt(root, path);
      assert.notEqual(cmd.description(), '', path.join(' '));
      const help = cmd.helpInformation();
      assert.match(help, new RegExp(`^Usage: ims ${path.join(' ')} `), path.join(' '));
      assert.match(help, /-h, --help/);
    }
    assert.match(commandAt(root, ['org', 'account', 'move']).helpInformation(), /--to <id> +the root or OU to move it to/);
    assert.match(commandAt(root, ['org', 'ou', 'create']).helpInformation(),
      /account +the management account: domain name or id\n +name +OU name/);
  });

  it('a command without its arguments is refused before it opens the database', async () => {
    const root = program();
    await assert.rejects(root.parseAsync(['org', 'account', 'move', 'boss', 'member'], { from: 'user' }),
      { code: 'commander.missingMandatoryOptionValue' });
    await assert.rejects(root.parseAsync(['org', 'create'], { from: 'user' }), { code: 'commander.missingArgument' });
  });
});
