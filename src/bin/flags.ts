import { type Command, Option } from 'commander';
import { ENV_ONLY, OPTIONS, type OptionSpec, type Scope } from '../options.js';

/** The commander option of a spec: its help, variable, default and choices in one place. */
function commanderOption(spec: OptionSpec): Option {
  const help = spec.defaultText === undefined ? spec.help : `${spec.help} (default: ${spec.defaultText})`;
  const option = new Option(spec.flags, help).env(spec.env);
  if (spec.default !== undefined) option.default(spec.default);
  if (spec.choices !== undefined) option.choices(spec.choices);
  return option;
}

/** `ims kms-grant add`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Gives a command the options of its scopes, each with its IMS_* variable and default. Another command's flag is
 * accepted, not shown in help, and ignored with a warning (`ims migrate --port abc` migrates); an unknown flag fails.
 */
export function addOptions(cmd: Command, scopes: readonly Scope[]): Command {
  const unused = OPTIONS.filter((spec) => !scopes.includes(spec.scope));
  for (const spec of OPTIONS) {
    cmd.addOption(scopes.includes(spec.scope) ? commanderOption(spec) : new Option(spec.flags).hideHelp());
  }
  return cmd.hook('preAction', (_program, action) => {
    for (const spec of unused) {
      if (action.getOptionValueSource(spec.key) !== 'cli') continue;
      process.stderr.write(`ims: ${spec.flags.split(' ')[0]} is not used by \`${commandPath(action)}\`: ignored\n`);
      action.setOptionValueWithSource(spec.key, undefined, 'default');
    }
  });
}

/** The variables that have no flag, from the environment: commander has applied the others to the flags. */
export function envOnly(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(ENV_ONLY.map(({ env: name }) => [name, env[name]]));
}
