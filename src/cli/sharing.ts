import { type Command, Option } from 'commander';
import type { BatchMembersBody, ImageMember } from '../client/ims-client.js';
import { clientCommand, waitOptions } from './command.js';
import { UsageError } from './exit-codes.js';
import { waitAndPrint, type WaitOptions } from './jobs.js';
import { type Column, field, type Format, printList, printObject } from './output.js';
import { projectOf, type Session } from './session.js';

interface TargetOptions extends Partial<WaitOptions> {
  project?: string[];
  domain?: string[];
  organization?: string[];
  wait?: boolean;
}

const STATUSES = ['pending', 'accepted', 'rejected'] as const;
/** `GET /v2/cloudimages` pages: as many images as IMS lists by default. */
const PAGE = 500;

function targetOptions(cmd: Command): Command {
  return waitOptions(cmd
    .option('--project <id...>', 'project ids (repeatable)')
    .option('--domain <id...>', 'account (domain) ids (repeatable)')
    .option('--organization <urn...>', 'organization, unit or root URNs (repeatable)'));
}

/** The job a batch call answered: printed, or waited for (pairs: images x targets). */
async function submitted(session: Session, job: { job_id: string }, pairs: number, opts: WaitOptions & { wait?: boolean },
  output: Format): Promise<void> {
  if (opts.wait) await waitAndPrint(session, job.job_id, pairs, opts, output);
  else await printObject(output, job);
}

function batch(program: Command, name: string, description: string, call: 'batchAddMembers' | 'batchDeleteMembers') {
  clientCommand<TargetOptions>(program, `${name} <image...>`, description, async ({ args, opts, session }) => {
    const body: BatchMembersBody = { images: args[0] as string[], projects: opts.project, domains: opts.domain,
      organizations: opts.organization };
    const targets = (body.projects?.length ?? 0) + (body.domains?.length ?? 0) + (body.organizations?.length ?? 0);
    if (targets === 0) throw new UsageError('name at least one --project, --domain or --organization');
    const s = await session();
    await submitted(s, await s.images[call](body), body.images.length * targets, opts as WaitOptions, opts.output);
  }, targetOptions);
}

function answer(program: Command, status: 'accepted' | 'rejected', description: string) {
  clientCommand<Partial<WaitOptions> & { vaultId?: string; wait?: boolean }>(program,
    `${status === 'accepted' ? 'accept' : 'reject'} <image...>`, description, async ({ args, opts, session }) => {
      const s = await session();
      const images = args[0] as string[];
      const job = await s.images.batchUpdateMembers({ images, project_id: projectOf(s), status, vault_id: opts.vaultId });
      await submitted(s, job, images.length, opts as WaitOptions, opts.output);
    }, (cmd) => waitOptions(status === 'accepted'
    ? cmd.option('--vault-id <id>', 'the CBR vault a full-ECS image is accepted into') : cmd));
}

const MEMBER_COLUMNS: Column<ImageMember>[] = [field('member_id'), field('status'), field('member_type'), field('urn'),
  field('created_at'), field('updated_at')];

type SharedImage = Record<string, unknown> & { id: string; member_status: string };

/** The images shared with the caller's project whose membership has `status`, every page of them. */
async function sharedWith(session: Session, status: string): Promise<SharedImage[]> {
  const all: SharedImage[] = [];
  for (let marker: string | undefined; ;) {
    const { images } = await session.images.listImages({ __imagetype: 'shared', member_status: status, limit: PAGE,
      marker });
    all.push(...images.map((i) => ({ ...i, member_status: status }) as SharedImage));
    if (images.length < PAGE) return all;
    marker = all.at(-1)!.id;
  }
}

export function addSharingCommands(program: Command): void {
  batch(program, 'share', 'share images with projects, accounts or organizations (a batch job)', 'batchAddMembers');
  batch(program, 'unshare', 'stop sharing images with projects, accounts or organizations (a batch job)',
    'batchDeleteMembers');
  answer(program, 'accepted', 'accept images shared with your project (a batch job)');
  answer(program, 'rejected', 'reject images shared with your project (a batch job)');
  clientCommand(program, 'members <image>', 'list the members of an image you own', async ({ args, opts, session }) => {
    const { members } = await (await session()).images.glanceListMembers(args[0] as string);
    await printList(opts.output, members, MEMBER_COLUMNS);
  });
  clientCommand<{ status?: string }>(program, 'shared', 'list the images shared with your project, with your answer',
    async ({ opts, session }) => {
      const s = await session();
      const images = (await Promise.all((opts.status ? [opts.status] : STATUSES).map((st) => sharedWith(s, st)))).flat();
      await printList(opts.output, images, [field('id'), field('name'), field('owner'), field('status'),
        field('member_status'), field('size')]);
    }, (cmd) => cmd.addOption(new Option('--status <status>', 'only images you answered so (default: all)')
    .choices(STATUSES)));
}
