import { type Command, type CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT, failure } from './exit-codes.js';
import { type Format, FORMATS } from './output.js';
import { openSession, type Session } from './session.js';

/** What a client command's handler gets: its arguments, its options, and the session (opened on first use). */
export interface Call<O> {
  args: unknown[];
  opts: O & { output: Format };
  session: () => Promise<Session>;
}

/** Commander's own refusals (bad option, missing argument) exit with EXIT.usage; `--help` with 0. */
function usageExit(err: CommanderError): never {
  process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
}

/** A command group (`ims image`, ...): its subcommands inherit the usage exit code. */
export function group(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description).exitOverride(usageExit);
}

/**
 * A client command under `parent` with `--output`, whose handler's errors are printed as `ims: <message>` on
 * stderr and end it with their exit code (exit-codes.ts).
 */
export function clientCommand<O>(parent: Command, nameAndArgs: string, description: string,
  handler: (call: Call<O>) => Promise<void>, configure: (cmd: Command) => Command = (cmd) => cmd): Command {
  const cmd = parent.command(nameAndArgs).description(description).exitOverride(usageExit);
  configure(cmd).addOption(new Option('-o, --output <format>', 'output format').choices(FORMATS).default('table'));
  return cmd.action(async (...all: unknown[]) => {
    const command = all.at(-1) as Command;
    let opened: Promise<Session> | undefined;
    try {
      await handler({ args: command.processedArgs, opts: command.opts() as O & { output: Format },
        session: () => (opened ??= openSession()) });
    } catch (err) {
      const { code, message } = failure(err);
      process.stderr.write(`ims: ${message}\n`);
      process.exitCode = code;
    }
  });
}

/** `--wait` and the options of waiting for a job. */
export function waitOptions(cmd: Command, withWait = true): Command {
  if (withWait) cmd.option('--wait', 'wait for the job to finish, showing its progress');
  return cmd
    .option('--timeout <seconds>', 'give up waiting after this long (exit 7)', positive, 3600)
    .option('--interval <seconds>', 'time between two looks at the job', positive, 1)
    .option('--no-progress', 'show no progress while waiting');
}

/** An option's number, greater than 0. */
export function positive(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`${value} is not a number greater than 0`);
  return n;
}
