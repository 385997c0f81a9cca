import type { Command } from 'commander';
import { ConfigError, type ConfigFlags } from '../config.js';
import type { Container } from '../container.js';
import { contextFor } from '../domain/context.js';
import { DOMAIN_ID_RE } from '../domain/organization.js';
import { AppError } from '../errors/app-error.js';
import { OrgError } from '../errors/organizations.js';
import type { PageRequest } from '../repos/org-repo.js';
import type { OrgCaller, Page } from '../services/organization-service.js';

/** The operator: a cloud admin, as `ims kms-grant` is. */
const OPERATOR = contextFor('ims-cli', 'ims-cli', ['admin']);

type Open = (flags: ConfigFlags) => Promise<Container>;

const print = (...rows: (readonly string[])[]) => {
  for (const row of rows) process.stdout.write(`${row.join('\t')}\n`);
};

/** Runs `fn` on a container on the configured database; refusals end the process with their message. */
async function withContainer(open: Open, flags: ConfigFlags, fn: (c: Container) => Promise<void>): Promise<void> {
  const container = await open(flags);
  try {
    await fn(container);
  } catch (err) {
    if (err instanceof OrgError) throw new ConfigError(`${err.orgCode}: ${err.message}`);
    if (err instanceof AppError) throw new ConfigError(err.message);
    throw err;
  } finally {
    await container.close();
  }
}

/** An account named by its id or its name. */
async function accountId(c: Container, ref: string): Promise<string> {
  const domain = DOMAIN_ID_RE.test(ref) ? await c.repos.identity.domainById(ref) : await c.repos.identity.domainByName(ref);
  if (!domain) throw new ConfigError(`no account (domain) ${ref}`);
  return domain.id;
}

/** Every row of a paged listing. */
async function all<T>(list: (page: PageRequest) => Promise<Page<T>>, idOf: (row: T) => string): Promise<T[]> {
  const rows: T[] = [];
  for (let page = await list({ limit: 2000 }); ; page = await list({ limit: 2000, after: idOf(rows[rows.length - 1]!) })) {
    rows.push(...page.rows);
    if (!page.more) return rows;
  }
}

/** `ims domain ...` and `ims org ...`: accounts and organizations, on the database directly. */
export function addAccountCommands(program: Command, withFlags: (cmd: Command) => Command, open: Open): void {
  const domain = program.command('domain').description('accounts: Keystone domains');
  withFlags(domain.command('create').argument('<name>', 'domain name (1 to 64 characters)')
    .option('--description <text>', 'description', '')
    .option('--disabled', 'create it disabled: no one logs in to it')
    .description('create an account (a domain); prints its id and name'))
    .action((name: string, opts: ConfigFlags & { description: string; disabled?: boolean }) => withContainer(open, opts,
      async (c) => {
        const d = await c.domains.create(OPERATOR, { name, description: opts.description, enabled: !opts.disabled });
        print([d.id, d.name]);
      }));
  withFlags(domain.command('list').description('list accounts: id, name, enabled'))
    .action((opts: ConfigFlags) => withContainer(open, opts, async (c) => {
      print(...(await c.domains.list(OPERATOR, undefined)).map((d) => [d.id, d.name, d.enabled ? 'enabled' : 'disabled']));
    }));

  const org = program.command('org')
    .description('organizations: an account manages one, with a root, OUs and member accounts');
  /** The caller acting for the management account `ref`. */
  const as = async (c: Container, ref: string): Promise<OrgCaller> => ({ ctx: OPERATOR, accountId: await accountId(c, ref) });
  const orgCommand = (cmd: Command, description: string) => withFlags(cmd.argument('<account>',
    'the management account: domain name or id').description(description));

  orgCommand(org.command('create'), 'create the organization the account manages; prints its id and root id')
    .action((account: string, opts: ConfigFlags) => withContainer(open, opts, async (c) => {
      const caller = await as(c, account);
      const created = await c.organizations.create(caller);
      print([created.id, (await c.organizations.roots(caller, { limit: 1 })).rows[0]!.id]);
    }));
  orgCommand(org.command('show'), 'show the account\'s organization: id, management account id and name, root id')
    .action((account: string, opts: ConfigFlags) => withContainer(open, opts, async (c) => {
      const caller = await as(c, account);
      const shown = await c.organizations.show(caller);
      const root = shown.management_domain_id === caller.accountId
        ? (await c.organizations.roots(caller, { limit: 1 })).rows[0]!.id : '';
      print([shown.id, shown.management_domain_id, shown.management_account_name, root]);
    }));
  orgCommand(org.command('delete'), 'delete the organization (it must have no member account and no OU left)')
    .action((account: string, opts: ConfigFlags) => withContainer(open, opts, (c) =>
      as(c, account).then((caller) => c.organizations.remove(caller))));

  const ou = org.command('ou').description('organizational units');
  orgCommand(ou.command('create'), 'create an OU; prints its id').argument('<name>', 'OU name')
    .option('--parent <id>', 'the root (default) or an OU to create it in')
    .action((account: string, name: string, opts: ConfigFlags & { parent?: string }) => withContainer(open, opts,
      async (c) => {
        const caller = await as(c, account);
        const parent = opts.parent ?? (await c.organizations.roots(caller, { limit: 1 })).rows[0]!.id;
        print([(await c.organizations.createUnit(caller, name, parent)).unit.id]);
      }));
  orgCommand(ou.command('delete'), 'delete an OU (nothing may be under it)').argument('<ou-id>')
    .action((account: string, id: string, opts: ConfigFlags) => withContainer(open, opts, (c) =>
      as(c, account).then((caller) => c.organizations.deleteUnit(caller, id))));
  orgCommand(ou.command('list'), 'list OUs: id, parent id, name').option('--parent <id>', 'only those right under it')
    .action((account: string, opts: ConfigFlags & { parent?: string }) => withContainer(open, opts, async (c) => {
      const caller = await as(c, account);
      const units = await all((p) => c.organizations.units(caller, opts.parent, p), (u) => u.id);
      print(...units.map((u) => [u.id, u.parent_id ?? '', u.name]));
    }));

  const member = org.command('account').description('member accounts');
  orgCommand(member.command('add'), 'add an existing account (as an accepted invitation), under the root or --parent')
    .argument('<member>', 'the account to add: domain name or id').option('--parent <id>', 'an OU to place it in')
    .action((account: string, ref: string, opts: ConfigFlags & { parent?: string }) => withContainer(open, opts,
      async (c) => {
        const caller = await as(c, account);
        const id = await accountId(c, ref);
        await c.organizations.invite(caller, { type: 'account', entity: id }, '');
        if (opts.parent !== undefined) {
          const root = (await c.organizations.roots(caller, { limit: 1 })).rows[0]!.id;
          await c.organizations.moveAccount(caller, id, root, opts.parent);
        }
      }));
  orgCommand(member.command('move'), 'move a member account to the root or an OU').argument('<member>')
    .requiredOption('--to <id>', 'the root or OU to move it to')
    .action((account: string, ref: string, opts: ConfigFlags & { to: string }) => withContainer(open, opts, async (c) => {
      const caller = await as(c, account);
      const id = await accountId(c, ref);
      const { account: found } = await c.organizations.account(caller, id);
      await c.organizations.moveAccount(caller, id, found.parent_id, opts.to);
    }));
  orgCommand(member.command('remove'), 'remove a member account from the organization').argument('<member>')
    .action((account: string, ref: string, opts: ConfigFlags) => withContainer(open, opts, async (c) => {
      const caller = await as(c, account);
      await c.organizations.removeAccount(caller, await accountId(c, ref));
    }));
  orgCommand(member.command('list'), 'list the organization\'s accounts: id, name, parent id, join method')
    .option('--parent <id>', 'only those right under it')
    .action((account: string, opts: ConfigFlags & { parent?: string }) => withContainer(open, opts, async (c) => {
      const caller = await as(c, account);
      const rows = await all((p) => c.organizations.accounts(caller, opts.parent, p), (a) => a.domain_id);
      print(...rows.map((a) => [a.domain_id, a.name, a.parent_id, a.join_method]));
    }));
}
