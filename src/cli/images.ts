import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { GlanceImage } from '../client/ims-client.js';
import { clientCommand, group } from './command.js';
import { UsageError } from './exit-codes.js';
import { field, printList, printObject } from './output.js';
import { progress } from './progress.js';
import type { Session } from './session.js';

interface CreateOptions {
  diskFormat: string;
  containerFormat: string;
  visibility?: string;
  minDisk?: string;
  minRam?: string;
  property: string[];
  tag: string[];
  file?: string;
  progress: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `key=value` options as image properties. */
function properties(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--property ${pair}: expected key=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** Streams `file` into the image, showing bytes sent. */
async function upload(session: Session, imageId: string, file: string, shown: boolean): Promise<void> {
  const { size } = await fs.promises.stat(file).catch((err: Error) => {
    throw new UsageError(`cannot read ${file}: ${err.message}`);
  });
  const bar = await progress(`upload ${imageId}`, 'bytes', { enabled: shown, fromZero: true });
  let sent = 0;
  async function* counted() {
    for await (const chunk of fs.createReadStream(file)) {
      sent += (chunk as Buffer).length;
      bar.update(sent, size);
      yield chunk as Buffer;
    }
  }
  try {
    bar.update(0, size);
    await session.images.uploadImageData(imageId, counted(), size);
  } finally {
    bar.stop();
  }
}

async function download(session: Session, imageId: string, file: string | undefined, shown: boolean): Promise<void> {
  if (file === undefined && process.stdout.isTTY) throw new UsageError('image data is not for a terminal: give --file or redirect');
  const res = await session.images.downloadImageData(imageId);
  const length = res.headers.get('content-length');
  const size = length === null ? undefined : Number(length);
  const bar = await progress(`download ${imageId}`, 'bytes', { enabled: shown, fromZero: true });
  let got = 0;
  bar.update(0, size);
  async function* counted(source: AsyncIterable<Uint8Array>) {
    for await (const chunk of source) {
      got += chunk.length;
      bar.update(got, size);
      yield chunk;
    }
  }
  try {
    await pipeline(Readable.fromWeb(res.body! as never), counted,
      file === undefined ? process.stdout : fs.createWriteStream(file));
  } finally {
    bar.stop();
  }
}

const IMAGE_COLUMNS = [field<GlanceImage>('id'), field<GlanceImage>('name'), field<GlanceImage>('status'),
  field<GlanceImage>('visibility'), field<GlanceImage>('size'), field<GlanceImage>('owner')];

export function addImageCommands(program: Command): void {
  const images = group(program, 'image', 'images: create, upload, download, list, show, delete');
  clientCommand<CreateOptions>(images, 'create <name>', 'create an image, and upload its data with --file',
    async ({ args, opts, session }) => {
      const s = await session();
      const image = await s.images.createImage({
        name: args[0], disk_format: opts.diskFormat, container_format: opts.containerFormat,
        visibility: opts.visibility, tags: opts.tag.length ? opts.tag : undefined,
        min_disk: opts.minDisk === undefined ? undefined : Number(opts.minDisk),
        min_ram: opts.minRam === undefined ? undefined : Number(opts.minRam), ...properties(opts.property),
      });
      if (opts.file !== undefined) await upload(s, image.id, opts.file, opts.progress);
      await printObject(opts.output, opts.file === undefined ? image : await s.images.showImage(image.id));
    }, (cmd) => cmd
      .option('--disk-format <format>', 'raw, qcow2, vhd, vmdk, iso, ...', 'raw')
      .option('--container-format <format>', 'bare, ovf, ...', 'bare')
      .option('--visibility <visibility>', 'private, shared, community or public')
      .option('--min-disk <gb>', 'disk the image needs')
      .option('--min-ram <mb>', 'memory the image needs')
      .option('--property <key=value>', 'an extra property (repeatable)', collect, [])
      .option('--tag <tag>', 'a tag (repeatable)', collect, [])
      .option('--file <file>', 'upload this file as the image data')
      .option('--no-progress', 'show no progress'));
  clientCommand<{ progress: boolean }>(images, 'upload <image> <file>', 'upload image data (the image becomes active)',
    async ({ args, opts, session }) => {
      const s = await session();
      await upload(s, args[0] as string, args[1] as string, opts.progress);
      await printObject(opts.output, await s.images.showImage(args[0] as string));
    }, (cmd) => cmd.option('--no-progress', 'show no progress'));
  clientCommand<{ file?: string; progress: boolean }>(images, 'download <image>',
    'download image data to --file, or to stdout', async ({ args, opts, session }) => {
      await download(await session(), args[0] as string, opts.file, opts.progress);
    }, (cmd) => cmd.option('--file <file>', 'write the data here').option('--no-progress', 'show no progress'));
  clientCommand<{ name?: string; status?: string; visibility?: string; owner?: string }>(images, 'list',
    'list the images you can see, every page', async ({ opts, session }) => {
      const s = await session();
      const all: GlanceImage[] = [];
      for (let marker: string | undefined; ;) {
        const page = await s.images.listGlanceImages({ name: opts.name, status: opts.status,
          visibility: opts.visibility, owner: opts.owner, marker });
        all.push(...page.images);
        marker = page.next === undefined ? undefined : new URL(page.next, 'http://x').searchParams.get('marker') ?? undefined;
        if (marker === undefined) break;
      }
      await printList(opts.output, all, IMAGE_COLUMNS);
    }, (cmd) => cmd.option('--name <name>', 'only images of this name').option('--status <status>', 'only images so')
      .option('--visibility <visibility>', 'private, shared, community, public or all')
      .option('--owner <project>', 'only images of this project'));
  clientCommand(images, 'show <image>', 'show an image', async ({ args, opts, session }) => {
    await printObject(opts.output, await (await session()).images.showImage(args[0] as string));
  });
  clientCommand(images, 'delete <image...>', 'delete images', async ({ args, session }) => {
    const s = await session();
    for (const id of args[0] as string[]) await s.images.deleteImage(id);
  });
}
