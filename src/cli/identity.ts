import type { Command } from 'commander';
import type { AccessKey, IdentityClient } from '../client/identity-client.js';
import { clientCommand, group } from './command.js';
import { NotFoundError, UsageError } from './exit-codes.js';
import { type Column, field, printList, printObject } from './output.js';
import type { Session } from './session.js';

/**
 * Administration (admins; a user may manage their own access keys): Keystone v3 projects, users and role
 * assignments, and Huawei IAM permanent access keys. Projects and users are named by id or by name.
 */

type Entity = Record<string, unknown> & { id: string };

const ID_RE = /^[0-9a-f]{32}$/;
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The id of the project or user `ref` names (an id as it is; a name looked up, which must be unique). */
async function idOf(kind: 'project' | 'user', ref: string, identity: IdentityClient): Promise<string> {
  if (ID_RE.test(ref)) return ref;
  const found = kind === 'project' ? await identity.listProjects({ name: ref }) : await identity.listUsers({ name: ref });
  if (found.length === 0) throw new NotFoundError(`no ${kind} named ${ref}`);
  if (found.length > 1) throw new UsageError(`several ${kind}s are named ${ref}: give the id`);
  return found[0]!.id;
}

async function roleIds(names: string[], identity: IdentityClient): Promise<string[]> {
  return Promise.all(names.map(async (name) => {
    const [role] = await identity.listRoles({ name });
    if (!role) throw new NotFoundError(`no role named ${name}`);
    return role.id;
  }));
}

const PROJECT_COLUMNS = ['id', 'name', 'domain_id', 'enabled', 'description'].map((k) => field<Entity>(k));
const USER_COLUMNS = ['id', 'name', 'domain_id', 'enabled', 'default_project_id'].map((k) => field<Entity>(k));
const KEY_COLUMNS: Column<AccessKey>[] = [field('access'), field('user_id'), field('status'), field('description'),
  field('create_time')];
const named = (v: unknown) => {
  const o = v as { id?: string; name?: string } | undefined;
  return o?.name ?? o?.id;
};
const ASSIGNMENT_COLUMNS: Column<Entity>[] = [
  { header: 'role', value: (a) => named(a.role) }, { header: 'user', value: (a) => named(a.user) },
  { header: 'project', value: (a) => named((a.scope as { project?: unknown } | undefined)?.project) }];

/** Gives or takes `roles` on a project from a user. */
async function assign(session: Session, user: string, opts: { project: string; role: string[] }, give: boolean)
  : Promise<void> {
  const { identity } = session;
  const [userId, projectId, roles] = await Promise.all([idOf('user', user, identity),
    idOf('project', opts.project, identity), roleIds(opts.role, identity)]);
  for (const role of roles) {
    if (give) await identity.grantRole(projectId, userId, role);
    else await identity.revokeRole(projectId, userId, role);
  }
}

function addProjectCommands(program: Command): void {
  const projects = group(program, 'project', 'projects (admins)');
  clientCommand<{ domain?: string; description?: string }>(projects, 'create <name>', 'create a project',
    async ({ args, opts, session }) => {
      const { identity } = await session();
      await printObject(opts.output, await identity.createProject({ name: args[0] as string, domain_id: opts.domain,
        description: opts.description }));
    }, (cmd) => cmd.option('--domain <id>', 'its domain (account); default Default')
      .option('--description <text>', 'what it is for'));
  clientCommand<{ domain?: string; name?: string }>(projects, 'list', 'list projects', async ({ opts, session }) => {
    const { identity } = await session();
    await printList(opts.output, await identity.listProjects({ domain_id: opts.domain, name: opts.name }), PROJECT_COLUMNS);
  }, (cmd) => cmd.option('--domain <id>', 'only this domain\'s').option('--name <name>', 'only projects so named'));
  clientCommand(projects, 'show <project>', 'show a project (id or name)', async ({ args, opts, session }) => {
    const { identity } = await session();
    await printObject(opts.output, await identity.showProject(await idOf('project', args[0] as string, identity)));
  });
  clientCommand(projects, 'delete <project...>', 'delete projects (ids or names)', async ({ args, session }) => {
    const { identity } = await session();
    for (const ref of args[0] as string[]) await identity.deleteProject(await idOf('project', ref, identity));
  });
}

function addUserCommands(program: Command): void {
  const users = group(program, 'user', 'users and their roles on projects (admins)');
  clientCommand<{ password: string; domain?: string; project?: string; role?: string[] }>(users, 'create <name>',
    'create a user; with --project and --role, give it those roles there', async ({ args, opts, session }) => {
      if (opts.role && !opts.project) throw new UsageError('--role needs --project');
      const s = await session();
      const projectId = opts.project === undefined ? undefined : await idOf('project', opts.project, s.identity);
      const user = await s.identity.createUser({ name: args[0] as string, password: opts.password, domain_id: opts.domain,
        default_project_id: projectId });
      if (opts.role) await assign(s, user.id, { project: projectId!, role: opts.role }, true);
      await printObject(opts.output, user);
    }, (cmd) => cmd.requiredOption('--password <password>', 'its password')
      .option('--domain <id>', 'its domain (account); default Default')
      .option('--project <project>', 'its default project (id or name)')
      .option('--role <name>', 'a role on --project, e.g. member, reader, admin (repeatable)', collect));
  clientCommand<{ domain?: string; name?: string }>(users, 'list', 'list users', async ({ opts, session }) => {
    const { identity } = await session();
    await printList(opts.output, await identity.listUsers({ domain_id: opts.domain, name: opts.name }), USER_COLUMNS);
  }, (cmd) => cmd.option('--domain <id>', 'only this domain\'s').option('--name <name>', 'only users so named'));
  clientCommand(users, 'show <user>', 'show a user (id or name)', async ({ args, opts, session }) => {
    const { identity } = await session();
    await printObject(opts.output, await identity.showUser(await idOf('user', args[0] as string, identity)));
  });
  clientCommand<{ password?: string; enable?: boolean }>(users, 'set <user>',
    'change a user\'s password, or enable or disable it (its tokens stop working)', async ({ args, opts, session }) => {
      if (opts.password === undefined && opts.enable === undefined) throw new UsageError('nothing to change');
      const { identity } = await session();
      await printObject(opts.output, await identity.updateUser(await idOf('user', args[0] as string, identity),
        { password: opts.password, enabled: opts.enable }));
    }, (cmd) => cmd.option('--password <password>', 'a new password').option('--enable', 'enable the user')
      .option('--no-enable', 'disable the user'));
  clientCommand(users, 'delete <user...>', 'delete users (ids or names)', async ({ args, session }) => {
    const { identity } = await session();
    for (const ref of args[0] as string[]) await identity.deleteUser(await idOf('user', ref, identity));
  });
  for (const [name, give] of [['grant', true], ['revoke', false]] as const) {
    clientCommand<{ project: string; role: string[] }>(users, `${name} <user>`,
      `${give ? 'give a user' : 'take from a user'} roles on a project`, async ({ args, opts, session }) => {
        await assign(await session(), args[0] as string, opts, give);
      }, (cmd) => cmd.requiredOption('--project <project>', 'the project (id or name)')
        .requiredOption('--role <name>', 'a role: member, reader, admin, ... (repeatable)', collect));
  }
  clientCommand<{ project?: string }>(users, 'roles [user]', 'list role assignments (of a user, on --project)',
    async ({ args, opts, session }) => {
      const { identity } = await session();
      const user = args[0] === undefined ? undefined : await idOf('user', args[0] as string, identity);
      const project = opts.project === undefined ? undefined : await idOf('project', opts.project, identity);
      await printList(opts.output, await identity.listRoleAssignments({ 'user.id': user, 'scope.project.id': project,
        include_names: true }), ASSIGNMENT_COLUMNS);
    }, (cmd) => cmd.option('--project <project>', 'only on this project (id or name)'));
}

function addKeyCommands(program: Command): void {
  const keys = group(program, 'key', 'permanent access keys (AK/SK): your own, or anyone\'s for admins');
  /** The user a key command is about: --user, else the logged-in user. */
  const owner = async (s: Session, user: string | undefined): Promise<string> => {
    if (user !== undefined) return idOf('user', user, s.identity);
    if (s.userId === undefined) throw new UsageError('give --user: signed requests do not tell who you are');
    return s.userId;
  };
  clientCommand<{ user?: string; description?: string }>(keys, 'create',
    'create an access key; its secret is shown this once', async ({ opts, session }) => {
      const s = await session();
      const key = await s.identity.createAccessKey({ user_id: await owner(s, opts.user), description: opts.description });
      await printObject(opts.output, key);
      process.stderr.write('ims: keep the secret now: it is not shown again\n');
    }, (cmd) => cmd.option('--user <user>', 'whose key (id or name); default yours')
      .option('--description <text>', 'what it is for'));
  clientCommand<{ user?: string }>(keys, 'list', 'list access keys', async ({ opts, session }) => {
    const s = await session();
    await printList(opts.output, await s.identity.listAccessKeys({ user_id: await owner(s, opts.user) }), KEY_COLUMNS);
  }, (cmd) => cmd.option('--user <user>', 'whose keys (id or name); default yours'));
  clientCommand(keys, 'show <access-key>', 'show an access key', async ({ args, opts, session }) => {
    await printObject(opts.output, await (await session()).identity.showAccessKey(args[0] as string));
  });
  for (const [name, status] of [['enable', 'active'], ['disable', 'inactive']] as const) {
    clientCommand(keys, `${name} <access-key>`, `${name} an access key (at once, in every process)`,
      async ({ args, opts, session }) => {
        await printObject(opts.output, await (await session()).identity.updateAccessKey(args[0] as string, { status }));
      });
  }
  clientCommand(keys, 'delete <access-key...>', 'delete access keys', async ({ args, session }) => {
    const { identity } = await session();
    for (const access of args[0] as string[]) await identity.deleteAccessKey(access);
  });
}

export function addIdentityCommands(program: Command): void {
  addProjectCommands(program);
  addUserCommands(program);
  addKeyCommands(program);
}
