#!/usr/bin/env node
import v8 from 'node:v8';
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { addAccountCommands } from './accounts.js';
import { failureLine } from './failures.js';
import { addOptions, envOnly } from './flags.js';
import { type Config, type ConfigFlags, loadConfig } from '../config.js';

// V8 lets garbage grow to several times what is live before it collects; favouring size keeps a process near
// what it holds (its code and --cache-mb): test/hostile/memory, bench/README for what it costs.
v8.setFlagsFromString('--optimize-for-size');

/** The server side of the commands, loaded by the commands that need it. */
const server = () => import('./server.js');

/** The database of the command: a failure to use it names it (src/bin/failures.ts). */
let databaseUrl: string | undefined;

/** The configuration of a command: commander has applied the IMS_* variables and defaults of its own flags. */
function config(flags: ConfigFlags): Readonly<Config> {
  const cfg = loadConfig(envOnly(process.env), flags);
  databaseUrl = cfg.databaseUrl;
  return cfg;
}

// Every file this process creates (database, WAL, image data, keys, openrc) is the service user's alone.
process.umask(0o077);

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

const program = new Command('ims')
  .description('Image sharing service: Huawei Cloud / OTC IMS and OpenStack Glance v2 compatible')
  .version(version)
  .showHelpAfterError();
/** The flags of the commands that open the database and exit. */
const withDatabaseFlags = (cmd: Command) => addOptions(cmd, ['database']);

addOptions(program.command('serve').description('run the HTTP service (and a job runner unless --no-jobs)'),
  ['database', 'process', 'serve'])
  .action(async (opts: ConfigFlags) => (await server()).serve(config(opts)));
addOptions(program.command('worker').description('run only a job runner against the configured database'),
  ['database', 'process'])
  .action(async (opts: ConfigFlags) => {
    const { runWorker } = await import('../jobs/worker-main.js');
    await runWorker(config(opts));
  });
withDatabaseFlags(program.command('migrate').description('apply database migrations and exit'))
  .action(async (opts: ConfigFlags) => (await server()).migrate(config(opts)));
withDatabaseFlags(program.command('bootstrap').argument('<file>', 'identity bootstrap JSON file')
  .description('apply an identity bootstrap file and exit'))
  .action(async (file: string, opts: ConfigFlags) => (await server()).bootstrap(file, config(opts)));

withDatabaseFlags(program.command('rotate-token-key')
  .description('sign tokens with a new key; tokens signed with the old one stay valid until they expire'))
  .action(async (opts: ConfigFlags) => (await server()).rotateTokenKey(config(opts)));

const kms = program.command('kms-grant').description('record which projects a KMS key has been granted to');
withDatabaseFlags(kms.command('add').argument('<key-id>').argument('<project-id>')
  .description('grant a KMS key to a project: encrypted images using it may then be shared with that project'))
  .action(async (key: string, project: string, opts: ConfigFlags) => (await server()).kmsGrant('add', [key, project], config(opts)));
withDatabaseFlags(kms.command('remove').argument('<key-id>').argument('<project-id>').description('revoke a grant'))
  .action(async (key: string, project: string, opts: ConfigFlags) => (await server()).kmsGrant('remove', [key, project], config(opts)));
withDatabaseFlags(kms.command('list').argument('[key-id]').description('list grants (key, project, time)'))
  .action(async (key: string | undefined, opts: ConfigFlags) => (await server()).kmsGrant('list', key === undefined ? [] : [key], config(opts)));

addAccountCommands(program, withDatabaseFlags, async (flags) => (await server()).buildContainer(config(flags)));
(await import('../cli/index.js')).addClientCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`ims: ${failureLine(err, databaseUrl)}\n`);
  process.exit(1);
});
