import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  apigwRefusal, assertShape, type Body, type Fields, IMAGE, imsRefusal, ImsSdkClient, MEMBER, OPERATIONS,
  type OperationName,
} from '../helpers/huawei-sdk.js';
import { IMS_BIN, type RunningServer, startServer } from '../helpers/server.js';

const PROJECTS = {
  owner: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
  member: '1b2c3d4e5f60718293a4b5c6d7e8f90a',
  third: '2c3d4e5f60718293a4b5c6d7e8f90a1b',
  partner: '3d4e5f60718293a4b5c6d7e8f90a1b2c',
  division: '4e5f60718293a4b5c6d7e8f90a1b2c3d',
};
/** Accounts (Keystone domains) beside Default: `partner` and `division` hold a project each, `orgs` none. */
const ACCOUNTS = {
  partner: 'a0000000000000000000000000000001',
  orgs: 'a0000000000000000000000000000002',
  division: 'a0000000000000000000000000000003',
};
/** Huawei-style permanent access keys (20 characters, a 40-character secret). */
const KEYS = {
  owner: { access: 'HPUAOWNER00000000001', secret: 'OwnerSecretKey0000000000000000000000000a' },
  member: { access: 'HPUAMEMBER0000000001', secret: 'MemberSecretKey000000000000000000000000b' },
  third: { access: 'HPUATHIRD00000000001', secret: 'ThirdSecretKey0000000000000000000000000c' },
  reader: { access: 'HPUAREADER0000000001', secret: 'ReaderSecretKey000000000000000000000000d' },
  partner: { access: 'HPUAPARTNER000000001', secret: 'PartnerSecretKey00000000000000000000000e' },
  division: { access: 'HPUADIVISION00000001', secret: 'DivisionSecretKey0000000000000000000000f' },
};
/** The account each key's user is in (Default for the others). */
const KEY_ACCOUNTS: Partial<Record<keyof typeof KEYS, keyof typeof ACCOUNTS>> = { partner: 'partner', division: 'division' };
/** Three accounts, each in its own project, and a reader-only user in the owner's project. */
const BOOTSTRAP = {
  domains: Object.entries(ACCOUNTS).map(([name, id]) => ({ name, id })),
  projects: Object.entries(PROJECTS).map(([name, id]) => ({ name, id,
    ...(name in ACCOUNTS ? { domain: name } : {}) })),
  users: [
    { name: 'owner', password: 'secret', project: 'owner' },
    { name: 'member', password: 'secret', project: 'member' },
    { name: 'third', password: 'secret', project: 'third' },
    { name: 'reader', password: 'secret', project: 'owner', roles: ['reader'] },
    { name: 'partner', password: 'secret', project: 'partner', domain: 'partner' },
    { name: 'division', password: 'secret', project: 'division', domain: 'division' },
  ],
  access_keys: Object.entries(KEYS).map(([user, key]) => ({ ...key, user,
    ...(KEY_ACCOUNTS[user as keyof typeof KEYS] ? { domain: KEY_ACCOUNTS[user as keyof typeof KEYS] } : {}) })),
};

const exec = promisify(execFile);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JOB_ID = /^[0-9a-f]{32}$/;
const MEMBER_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const JOB_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const NO_IMAGE = '00000000-0000-4000-8000-000000000000';

/** Fields that make a well-formed request of every operation (for the refusals every path shares). */
const ANY_REQUEST: Record<OperationName, Fields> = {
  BatchAddMembers: { body: { images: [NO_IMAGE], projects: [PROJECTS.member] } },
  BatchUpdateMembers: { body: { images: [NO_IMAGE], project_id: PROJECTS.owner, status: 'accepted' } },
  BatchDeleteMembers: { body: { images: [NO_IMAGE], projects: [PROJECTS.member] } },
  ShowJob: { job_id: '0'.repeat(32) },
  ShowJobProgress: { job_id: '0'.repeat(32) },
  ListImageMembers: { image_id: NO_IMAGE, limit: 10 },
  ShowImageMember: { image_id: NO_IMAGE, member_id: PROJECTS.member },
  ListImages: { __imagetype: 'private', limit: 10 },
  GlanceListImages: { visibility: 'private', limit: 10 },
  GlanceShowImage: { image_id: NO_IMAGE },
  GlanceCreateImageMetadata: { body: { name: 'never', container_format: 'bare', disk_format: 'raw' } },
  GlanceUpdateImage: { image_id: NO_IMAGE, body: [{ op: 'replace', path: '/name', value: 'never' }] },
  GlanceDeleteImage: { image_id: NO_IMAGE },
  GlanceCreateTag: { image_id: NO_IMAGE, tag: 'never' },
  GlanceDeleteTag: { image_id: NO_IMAGE, tag: 'never' },
  UploadImageFile: { image_id: NO_IMAGE, body: Buffer.from('never') },
  DownloadImageFile: { image_id: NO_IMAGE },
  GlanceAddImageMember: { image_id: NO_IMAGE, body: { member: PROJECTS.member } },
  GlanceListImageMembers: { image_id: NO_IMAGE },
  GlanceShowImageMember: { image_id: NO_IMAGE, member_id: PROJECTS.member },
  GlanceUpdateImageMember: { image_id: NO_IMAGE, member_id: PROJECTS.member, body: { status: 'accepted' } },
  GlanceDeleteImageMember: { image_id: NO_IMAGE, member_id: PROJECTS.member },
  GlanceShowImageSchemas: {},
  GlanceListImageSchemas: {},
  GlanceShowImageMemberSchemas: {},
  GlanceListImageMemberSchemas: {},
};

const ids = (images: Body[]) => images.map((i) => i.id as string);
const byProject = (a: Body, b: Body) => String(a.project_id).localeCompare(String(b.project_id));

/**
 * Huawei's node SDK core (`@huaweicloud/huaweicloud-sdk-core`: its AK/SK signer, HcClient and error parsing) against
 * `ims serve`: every IMS sharing call and every native image, member and schema call, by the SDK's operation names.
 */
describe('Huawei SDK core: IMS and native OpenStack APIs with AK/SK', () => {
  let srv: RunningServer;
  const sdk: Record<'owner' | 'member' | 'third' | 'reader', ImsSdkClient> = {} as never;
  const client = (key: { access: string; secret: string }, projectId?: string) =>
    new ImsSdkClient({ endpoint: srv.url, ak: key.access, sk: key.secret, ...(projectId ? { projectId } : {}) });

  before(async () => {
    const boot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ims-huawei-sdk-')), 'bootstrap.json');
    fs.writeFileSync(boot, JSON.stringify(BOOTSTRAP));
    srv = await startServer(['--bootstrap', boot, '--log-level', 'warn']);
    sdk.owner = client(KEYS.owner, PROJECTS.owner);
    sdk.member = client(KEYS.member, PROJECTS.member);
    sdk.third = client(KEYS.third, PROJECTS.third);
    sdk.reader = client(KEYS.reader, PROJECTS.owner);
  });
  after(async () => {
    assert.equal(await srv.stop(), 0);
  });

  /** GlanceCreateImageMetadata (private, as Huawei requires) and UploadImageFile: an active image of the owner's. */
  async function activeImage(name: string, data = 'twelve bytes'): Promise<string> {
    const created = await sdk.owner.call('GlanceCreateImageMetadata', {
      body: { name, visibility: 'private', container_format: 'bare', disk_format: 'raw', min_disk: 1, min_ram: 256,
        tags: ['os=linux'] },
    });
    await sdk.owner.call('UploadImageFile', { image_id: created.id, body: Buffer.from(data) });
    return created.id as string;
  }

  it('a share: BatchAddMembers to two projects, ShowJob, BatchUpdateMembers, ListImages, BatchDeleteMembers',
    async () => {
      const id = await activeImage('shared-flow');
      const added = await sdk.owner.call('BatchAddMembers', { body: { images: [id],
        projects: [PROJECTS.member, PROJECTS.third] } });
      assert.deepEqual(Object.keys(added).sort(), ['httpStatusCode', 'job_id']);
      assert.match(added.job_id, JOB_ID);
      const job = await sdk.owner.finishedJob(added.job_id);
      assert.match(job.begin_time, JOB_TIME);
      assert.match(job.end_time, JOB_TIME);
      job.entities.results.sort(byProject);
      assert.deepEqual({ ...job, begin_time: '', end_time: '' }, {
        status: 'SUCCESS', job_id: added.job_id, job_type: 'imsAddImageMembersJob', begin_time: '', end_time: '',
        error_code: null, fail_reason: null, httpStatusCode: 200,
        entities: { results: [{ image_id: id, project_id: PROJECTS.member, status: 'success' },
          { image_id: id, project_id: PROJECTS.third, status: 'success' }] },
      });
      // The job as ShowJobProgress answers it: the same body.
      const progress = await sdk.owner.call('ShowJobProgress', { job_id: added.job_id });
      progress.entities.results.sort(byProject);
      assert.deepEqual(progress, job);

      // The owner's v1 member page: both projects, pending.
      const page = await sdk.owner.call('ListImageMembers', { image_id: id, limit: 10 });
      assert.deepEqual(page.page_info, { current_count: 2 });
      assert.equal(page.schema, '/v2/schemas/members');
      for (const m of page.members) assertShape(m, MEMBER, 'ListImageMembers member');
      assert.deepEqual(page.members.map((m: Body) => [m.image_id, m.member_id, m.status, m.schema]).sort(), [
        [id, PROJECTS.member, 'pending', '/v2/schemas/member'], [id, PROJECTS.third, 'pending', '/v2/schemas/member']]);
      const first = await sdk.owner.call('ListImageMembers', { image_id: id, limit: 1 });
      assert.equal(first.members.length, 1);
      assert.equal(first.page_info.current_count, 1);
      const second = await sdk.owner.call('ListImageMembers', { image_id: id, limit: 1,
        marker: first.page_info.next_marker });
      assert.deepEqual([...first.members, ...second.members].map((m: Body) => m.member_id).sort(),
        [PROJECTS.member, PROJECTS.third]);
      assert.deepEqual(second.page_info, { current_count: 1 });
      const shown = await sdk.owner.call('ShowImageMember', { image_id: id, member_id: PROJECTS.member });
      assert.match(shown.created_at, MEMBER_TIME);
      assert.equal(shown.status, 'pending');

      // Pending: the recipients see it only with member_status=pending.
      const shared = { __imagetype: 'shared', visibility: 'shared', name: 'shared-flow' };
      for (const who of [sdk.member, sdk.third]) {
        assert.deepEqual(ids((await who.call('ListImages', { ...shared, member_status: 'pending' })).images), [id]);
        assert.deepEqual((await who.call('ListImages', { ...shared, member_status: 'accepted' })).images, []);
      }

      // The member accepts; it then lists the image, as shared by the owner.
      const update = await sdk.member.call('BatchUpdateMembers', { body: { images: [id], project_id: PROJECTS.member,
        status: 'accepted' } });
      const updated = await sdk.member.finishedJob(update.job_id);
      assert.deepEqual([updated.status, updated.job_type, updated.entities.results], ['SUCCESS',
        'imsUpdateImageMembersJob', [{ image_id: id, project_id: PROJECTS.member, status: 'success' }]]);
      const accepted = await sdk.member.call('ListImages', { ...shared, member_status: 'accepted' });
      assert.deepEqual(ids(accepted.images), [id]);
      assertShape(accepted.images[0], IMAGE, 'ListImages image');
      assert.deepEqual([accepted.images[0].owner, accepted.images[0].__imagetype, accepted.images[0].status],
        [PROJECTS.owner, 'shared', 'active']);
      assert.deepEqual(ids((await sdk.member.call('ListImages', { name: 'shared-flow' })).images), [id]);
      assert.deepEqual((await sdk.third.call('ListImages', { name: 'shared-flow' })).images, []);
      const mine = await sdk.member.call('ShowImageMember', { image_id: id, member_id: PROJECTS.member });
      assert.equal(mine.status, 'accepted');
      assert.equal(mine.updated_at >= mine.created_at, true);
      assert.equal((await sdk.member.call('DownloadImageFile', { image_id: id })).body, 'twelve bytes');

      // The owner stops sharing: neither project sees the image any more.
      const removed = await sdk.owner.call('BatchDeleteMembers', { body: { images: [id],
        projects: [PROJECTS.member, PROJECTS.third] } });
      const deleted = await sdk.owner.finishedJob(removed.job_id);
      assert.deepEqual([deleted.status, deleted.job_type, deleted.error_code], ['SUCCESS', 'imsDelImageMembersJob', null]);
      assert.deepEqual((await sdk.owner.call('ListImageMembers', { image_id: id })).members, []);
      for (const who of [sdk.member, sdk.third]) {
        assert.deepEqual((await who.call('ListImages', { ...shared, member_status: 'accepted' })).images, []);
        assert.deepEqual(await who.refused('GlanceShowImage', { image_id: id }),
          imsRefusal(404, 'IMG.0086', `No image found with ID ${id}`));
      }
    });

  it('native members: GlanceAddImageMember, GlanceListImageMembers, GlanceShowImageMember, '
    + 'GlanceUpdateImageMember, GlanceDeleteImageMember', async () => {
    const id = await activeImage('native-members');
    const added = await sdk.owner.call('GlanceAddImageMember', { image_id: id, body: { member: PROJECTS.member } });
    assert.match(added.created_at, MEMBER_TIME);
    assert.deepEqual(added, { status: 'pending', created_at: added.created_at, updated_at: added.created_at,
      image_id: id, member_id: PROJECTS.member, schema: '/v2/schemas/member', member_type: 'project',
      httpStatusCode: 200 });
    const { httpStatusCode: _, ...memberBody } = added;
    assert.deepEqual(await sdk.owner.call('GlanceListImageMembers', { image_id: id }),
      { members: [memberBody], schema: '/v2/schemas/members', page_info: { current_count: 1 }, httpStatusCode: 200 });

    const mine = { image_id: id, member_id: PROJECTS.member };
    assert.equal((await sdk.member.call('GlanceShowImageMember', mine)).status, 'pending');
    const pending = { visibility: 'shared', member_status: 'pending', name: 'native-members' };
    assert.deepEqual(ids((await sdk.member.call('GlanceListImages', pending)).images), [id]);
    assert.deepEqual((await sdk.member.call('GlanceListImages', { name: 'native-members' })).images, []);

    const accepted = await sdk.member.call('GlanceUpdateImageMember', { ...mine, body: { status: 'accepted' } });
    assert.deepEqual([accepted.status, accepted.member_id, accepted.image_id], ['accepted', PROJECTS.member, id]);
    const listing = await sdk.member.call('GlanceListImages', { name: 'native-members' });
    assert.deepEqual(ids(listing.images), [id]);
    assert.equal(listing.schema, '/v2/schemas/images');
    assert.equal((await sdk.member.call('GlanceShowImage', { image_id: id })).owner, PROJECTS.owner);
    // A member lists only its own membership.
    assert.deepEqual((await sdk.member.call('GlanceListImageMembers', { image_id: id })).members
      .map((m: Body) => [m.member_id, m.status]), [[PROJECTS.member, 'accepted']]);

    const rejected = await sdk.member.call('GlanceUpdateImageMember', { ...mine, body: { status: 'rejected' } });
    assert.equal(rejected.status, 'rejected');
    assert.deepEqual((await sdk.member.call('GlanceListImages', { name: 'native-members' })).images, []);

    assert.deepEqual(await sdk.owner.call('GlanceDeleteImageMember', mine), { httpStatusCode: 204 });
    assert.deepEqual(await sdk.member.refused('GlanceShowImageMember', mine),
      imsRefusal(404, 'IMG.0027', `Image ${id} not found.`));
    assert.deepEqual((await sdk.owner.call('GlanceListImageMembers', { image_id: id })).members, []);
  });

  it('images: GlanceCreateImageMetadata, image data, GlanceListImages filters and pages, GlanceUpdateImage, tags, '
    + 'GlanceDeleteImage', async () => {
    const created = await sdk.owner.call('GlanceCreateImageMetadata', { body: { name: 'catalog-a', visibility: 'private',
      container_format: 'bare', disk_format: 'qcow2', min_disk: 40, min_ram: 1024, protected: false,
      tags: ['env=test'] } });
    assert.match(created.id, UUID);
    assert.deepEqual([created.status, created.visibility, created.owner, created.__imagetype, created.tags,
      created.min_disk, created.min_ram, created.self, created.file, created.schema], ['queued', 'private',
      PROJECTS.owner, 'private', ['env=test'], 40, 1024, `/v2/images/${created.id}`, `/v2/images/${created.id}/file`,
    '/v2/schemas/image']);
    const data = 'disk image '.repeat(10_000);
    assert.deepEqual(await sdk.owner.call('UploadImageFile', { image_id: created.id, body: Buffer.from(data) }),
      { httpStatusCode: 204 });
    const shown = await sdk.owner.call('GlanceShowImage', { image_id: created.id });
    assert.deepEqual([shown.status, shown.size], ['active', data.length]);
    assert.equal((await sdk.owner.call('DownloadImageFile', { image_id: created.id })).body, data);

    const b = await activeImage('catalog-b');
    const c = await activeImage('catalog-c');
    const byName = { sort_key: 'name', sort_dir: 'asc', owner: PROJECTS.owner, limit: 2 };
    const page1 = await sdk.owner.call('GlanceListImages', byName);
    assert.deepEqual(page1.images.map((i: Body) => i.name).slice(0, 2), ['catalog-a', 'catalog-b']);
    for (const image of page1.images) assertShape(image, IMAGE, 'GlanceListImages image');
    assert.match(page1.next, /^\/v2\/images\?/);
    const page2 = await sdk.owner.call('GlanceListImages', { ...byName, marker: b });
    assert.deepEqual(page2.images.map((i: Body) => i.name)[0], 'catalog-c');
    assert.deepEqual(ids((await sdk.owner.call('GlanceListImages', { tag: 'env=test' })).images), [created.id]);
    assert.deepEqual(ids((await sdk.owner.call('ListImages', { name: 'catalog-c', __imagetype: 'private' })).images), [c]);

    const patched = await sdk.owner.call('GlanceUpdateImage', { image_id: created.id, body: [
      { op: 'replace', path: '/name', value: 'catalog-renamed' },
      { op: 'add', path: '/__os_version', value: 'Ubuntu 22.04 server 64bit' },
    ] });
    assert.deepEqual([patched.name, patched.__os_version], ['catalog-renamed', 'Ubuntu 22.04 server 64bit']);
    assert.deepEqual(await sdk.owner.call('GlanceCreateTag', { image_id: created.id, tag: 'gold' }),
      { httpStatusCode: 204 });
    assert.deepEqual((await sdk.owner.call('GlanceShowImage', { image_id: created.id })).tags.sort(),
      ['env=test', 'gold']);
    assert.deepEqual(await sdk.owner.call('GlanceDeleteTag', { image_id: created.id, tag: 'gold' }),
      { httpStatusCode: 204 });
    assert.deepEqual((await sdk.owner.call('GlanceShowImage', { image_id: created.id })).tags, ['env=test']);

    assert.deepEqual(await sdk.owner.call('GlanceDeleteImage', { image_id: created.id }), { httpStatusCode: 204 });
    assert.deepEqual(await sdk.owner.refused('GlanceShowImage', { image_id: created.id }),
      imsRefusal(404, 'IMG.0086', `No image found with ID ${created.id}`));
    assert.deepEqual(ids((await sdk.owner.call('GlanceListImages', { name: 'in:catalog-b,catalog-c' })).images).sort(),
      [b, c].sort());
  });

  it('GlanceDeleteImage with the body Huawei documents ({"delete_backup": bool})', async () => {
    const id = await activeImage('delete-backup');
    assert.deepEqual(await sdk.owner.call('GlanceDeleteImage', { image_id: id, body: { delete_backup: false } }),
      { httpStatusCode: 204 });
    assert.deepEqual(await sdk.owner.refused('GlanceShowImage', { image_id: id }),
      imsRefusal(404, 'IMG.0086', `No image found with ID ${id}`));
  });

  it('schemas: GlanceShowImageSchemas, GlanceListImageSchemas, GlanceShowImageMemberSchemas, '
    + 'GlanceListImageMemberSchemas', async () => {
    const image = await sdk.owner.call('GlanceShowImageSchemas');
    assert.equal(image.name, 'image');
    for (const field of Object.keys(IMAGE).filter((f) => f !== '__imagetype')) {
      assert.ok(field in image.properties, `image schema: ${field}`);
    }
    const images = await sdk.owner.call('GlanceListImageSchemas');
    assert.equal(images.name, 'images');
    assert.deepEqual(Object.keys(images.properties).sort(), ['first', 'images', 'next', 'schema']);
    const member = await sdk.member.call('GlanceShowImageMemberSchemas');
    assert.equal(member.name, 'member');
    // Huawei's member schema, as its reference shows it, predates member_type and urn.
    assert.deepEqual(Object.keys(member.properties).sort(),
      Object.keys(MEMBER).filter((k) => k !== 'member_type' && k !== 'urn').sort());
    assert.deepEqual(member.properties.status.enum, ['pending', 'accepted', 'rejected']);
    const members = await sdk.member.call('GlanceListImageMemberSchemas');
    assert.equal(members.name, 'members');
    assert.deepEqual(members.links, [{ rel: 'describedby', href: '{schema}' }]);
    assert.deepEqual(members.properties.members.items.properties, member.properties);
  });

  it('IMS refusals: unknown images, not the owner, bad bodies, jobs and members of others', async () => {
    const id = await activeImage('ims-refusals');
    const add = (body: unknown) => sdk.owner.refused('BatchAddMembers', { body });
    assert.deepEqual(await add({ images: [NO_IMAGE], projects: [PROJECTS.member] }),
      imsRefusal(400, 'IMG.0027', `The image ID in the request does not exist: ${NO_IMAGE}`));
    assert.deepEqual(await add({ images: ['not-an-id'], projects: [PROJECTS.member] }),
      imsRefusal(400, 'IMG.0066', 'The image ID is incorrect: not-an-id'));
    assert.deepEqual(await add({ images: [id], projects: ['Project-1'] }),
      imsRefusal(400, 'IMG.0067', 'The project ID is incorrect: Project-1'));
    assert.deepEqual(await add({ images: [id] }),
      imsRefusal(400, 'IMG.0001', 'The request message format is invalid: projects, domains and organizations are all '
        + 'empty.'));
    assert.deepEqual(await add({ images: id, projects: [PROJECTS.member] }),
      imsRefusal(400, 'IMG.0001', 'The request message format is invalid: images must be an array of strings.'));
    assert.deepEqual(await add({ images: [id], projects: [PROJECTS.owner] }),
      imsRefusal(400, 'IMG.0076', 'You cannot share an image with yourself.'));

    const job = await sdk.owner.call('BatchAddMembers', { body: { images: [id], projects: [PROJECTS.member] } });
    await sdk.owner.finishedJob(job.job_id);
    // Not the owner: a member of the image, and a project it is not shared with.
    assert.deepEqual(await sdk.member.refused('BatchAddMembers', { body: { images: [id], projects: [PROJECTS.third] } }),
      imsRefusal(400, 'IMG.0047', `This operation can be performed only by the image owner: ${id}`));
    assert.deepEqual(await sdk.member.refused('BatchDeleteMembers', { body: { images: [id],
      projects: [PROJECTS.member] } }),
    imsRefusal(400, 'IMG.0047', `This operation can be performed only by the image owner: ${id}`));
    assert.deepEqual(await sdk.third.refused('BatchDeleteMembers', { body: { images: [id],
      projects: [PROJECTS.member] } }),
    imsRefusal(400, 'IMG.0027', `The image ID in the request does not exist: ${id}`));
    assert.deepEqual(await sdk.member.refused('BatchUpdateMembers', { body: { images: [id], project_id: PROJECTS.third,
      status: 'accepted' } }),
    imsRefusal(400, 'IMG.0030',
      'The project ID and token in the request are invalid: project_id must be your own project.'));
    assert.deepEqual(await sdk.member.refused('BatchUpdateMembers', { body: { images: [id], project_id: PROJECTS.member,
      status: 'pending' } }),
    imsRefusal(400, 'IMG.0001', 'The request message format is invalid: status must be "accepted" or "rejected".'));
    assert.deepEqual(await sdk.member.refused('BatchUpdateMembers', { body: { project_id: PROJECTS.member,
      status: 'accepted' } }),
    imsRefusal(400, 'IMG.0001', 'The request message format is invalid: images is required.'));
    // The core drops an empty body from a DELETE.
    assert.deepEqual(await sdk.owner.refused('BatchDeleteMembers', { body: {} }),
      imsRefusal(400, 'IMG.0007', 'The request body is empty.'));

    // Jobs are their project's; members are seen by the owner and by each member for itself.
    for (const op of ['ShowJob', 'ShowJobProgress'] as const) {
      assert.deepEqual(await sdk.member.refused(op, { job_id: job.job_id }),
        imsRefusal(404, 'IMG.0023', `Job ${job.job_id} could not be found.`));
    }
    assert.deepEqual(await sdk.third.refused('ListImageMembers', { image_id: id }),
      imsRefusal(404, 'IMG.0027', `Image ${id} not found.`));
    assert.deepEqual(await sdk.owner.refused('ListImageMembers', { image_id: id, limit: 0 }),
      imsRefusal(400, 'IMG.0001', 'The limit must be an integer from 1 to 1000.'));
    assert.deepEqual(await sdk.owner.refused('ListImageMembers', { image_id: id, marker: '@@' }),
      imsRefusal(400, 'IMG.0001', 'The marker is invalid: it must be base64-encoded.'));
    assert.deepEqual(await sdk.owner.refused('ShowImageMember', { image_id: id, member_id: PROJECTS.third }),
      imsRefusal(404, 'IMG.0144', `${PROJECTS.third} not found in the member list of the image ${id}.`));
    assert.deepEqual(await sdk.owner.refused('ShowImageMember', { image_id: NO_IMAGE, member_id: PROJECTS.member }),
      imsRefusal(404, 'IMG.0027', `Image ${NO_IMAGE} not found.`));
    assert.deepEqual(await sdk.member.refused('ListImages', { visibility: 'everyone' }),
      imsRefusal(400, 'IMG.0001', 'Invalid visibility value: everyone'));
    assert.deepEqual(await sdk.member.refused('ListImages', { member_status: 'maybe' }),
      imsRefusal(400, 'IMG.0001', 'Invalid status: maybe'));
    // Nothing changed: the member is still the only one, pending.
    assert.deepEqual((await sdk.owner.call('ListImageMembers', { image_id: id })).members.map((m: Body) =>
      [m.member_id, m.status]), [[PROJECTS.member, 'pending']]);
  });

  it('native refusals, read by the SDK as IMS errors: unknown images, not the owner, bad bodies', async () => {
    const id = await activeImage('native-refusals');
    await sdk.owner.call('GlanceAddImageMember', { image_id: id, body: { member: PROJECTS.member } });
    const member = { image_id: id, member_id: PROJECTS.member };
    const cases: [ImsSdkClient, OperationName, Fields, ReturnType<typeof imsRefusal>][] = [
      [sdk.owner, 'GlanceShowImage', { image_id: NO_IMAGE },
        imsRefusal(404, 'IMG.0086', `No image found with ID ${NO_IMAGE}`)],
      [sdk.third, 'GlanceShowImage', { image_id: id }, imsRefusal(404, 'IMG.0086', `No image found with ID ${id}`)],
      [sdk.owner, 'GlanceListImages', { visibility: 'everyone' },
        imsRefusal(400, 'IMG.0001', 'Invalid visibility value: everyone')],
      [sdk.owner, 'GlanceListImages', { marker: NO_IMAGE },
        imsRefusal(400, 'IMG.0001', `No image found with ID ${NO_IMAGE}`)],
      [sdk.owner, 'GlanceCreateImageMetadata', { body: { name: 'x', min_ram: 'lots' } },
        imsRefusal(400, 'IMG.0001', "Provided object does not match schema 'image': 'lots' is not of type 'integer'")],
      [sdk.owner, 'GlanceUpdateImage', { image_id: id, body: { op: 'replace', path: '/name', value: 'x' } },
        imsRefusal(400, 'IMG.0001', 'Request body must be a JSON array of operation objects.')],
      [sdk.member, 'GlanceUpdateImage', { image_id: id, body: [{ op: 'replace', path: '/name', value: 'x' }] },
        imsRefusal(403, 'IMG.0161', 'You do not own this image')],
      [sdk.owner, 'GlanceDeleteImage', { image_id: NO_IMAGE },
        imsRefusal(404, 'IMG.0086', `Failed to find image ${NO_IMAGE} to delete`)],
      [sdk.member, 'GlanceDeleteImage', { image_id: id }, imsRefusal(403, 'IMG.0161', 'You do not own this image')],
      [sdk.member, 'GlanceCreateTag', { image_id: id, tag: 'x' },
        imsRefusal(403, 'IMG.0161', `Not allowed to update tags for image ${id}.`)],
      [sdk.owner, 'GlanceDeleteTag', { image_id: NO_IMAGE, tag: 'x' },
        imsRefusal(404, 'IMG.0086', `Image ${NO_IMAGE} not found.`)],
      [sdk.owner, 'UploadImageFile', { image_id: id, body: Buffer.from('again') },
        imsRefusal(409, 'IMG.0001', 'Image status transition from active to saving is not allowed')],
      [sdk.third, 'DownloadImageFile', { image_id: id }, imsRefusal(404, 'IMG.0086', `No image found with ID ${id}`)],
      [sdk.owner, 'GlanceAddImageMember', { image_id: NO_IMAGE, body: { member: PROJECTS.member } },
        imsRefusal(404, 'IMG.0027', `Image ${NO_IMAGE} not found.`)],
      [sdk.owner, 'GlanceAddImageMember', { image_id: id, body: { member: PROJECTS.member } },
        imsRefusal(409, 'IMG.0001', `Member ${PROJECTS.member} is duplicated for image ${id}`)],
      [sdk.owner, 'GlanceAddImageMember', { image_id: id, body: { members: PROJECTS.third } },
        imsRefusal(400, 'IMG.0001', 'Member to be added not specified')],
      [sdk.member, 'GlanceAddImageMember', { image_id: id, body: { member: PROJECTS.third } },
        imsRefusal(403, 'IMG.0047', `Not allowed to create members for image ${id}.`)],
      [sdk.third, 'GlanceListImageMembers', { image_id: id }, imsRefusal(404, 'IMG.0027', `Image ${id} not found.`)],
      [sdk.owner, 'GlanceShowImageMember', { image_id: id, member_id: PROJECTS.third },
        imsRefusal(404, 'IMG.0144', `${PROJECTS.third} not found in the member list of the image ${id}.`)],
      [sdk.owner, 'GlanceUpdateImageMember', { ...member, body: { status: 'accepted' } },
        imsRefusal(403, 'IMG.0026', `Not allowed to update members for image ${id}.`)],
      [sdk.member, 'GlanceUpdateImageMember', { ...member, body: { status: 'maybe' } },
        imsRefusal(400, 'IMG.0001', 'Incorrect request: Status must be "pending", "accepted" or "rejected".')],
      [sdk.member, 'GlanceUpdateImageMember', { ...member, body: {} }, imsRefusal(400, 'IMG.0001', 'Status not specified')],
      [sdk.member, 'GlanceDeleteImageMember', member,
        imsRefusal(403, 'IMG.0047', `Not allowed to delete members for image ${id}.`)],
    ];
    for (const [who, op, fields, expected] of cases) {
      assert.deepEqual(await who.refused(op, fields), expected, `${op} ${JSON.stringify(fields)}`);
    }
    // Nothing changed.
    const unchanged = await sdk.owner.call('GlanceShowImage', { image_id: id });
    assert.deepEqual([unchanged.name, unchanged.status, unchanged.tags], ['native-refusals', 'active', ['os=linux']]);
    assert.deepEqual((await sdk.owner.call('GlanceListImageMembers', { image_id: id })).members
      .map((m: Body) => [m.member_id, m.status]), [[PROJECTS.member, 'pending']]);
  });

  it('a reader reads on every path and writes on none', async () => {
    const id = await activeImage('reader');
    const { job_id: jobId } = await sdk.owner.call('BatchAddMembers',
      { body: { images: [id], projects: [PROJECTS.member] } });
    assert.equal((await sdk.reader.finishedJob(jobId)).status, 'SUCCESS');
    assert.deepEqual(ids((await sdk.reader.call('GlanceListImages', { name: 'reader' })).images), [id]);
    assert.deepEqual(ids((await sdk.reader.call('ListImages', { name: 'reader' })).images), [id]);
    assert.deepEqual((await sdk.reader.call('ListImageMembers', { image_id: id })).members.map((m: Body) => m.member_id),
      [PROJECTS.member]);
    assert.equal((await sdk.reader.call('GlanceShowImageMember', { image_id: id, member_id: PROJECTS.member })).status,
      'pending');
    assert.equal((await sdk.reader.call('DownloadImageFile', { image_id: id })).body, 'twelve bytes');
    const writes: [OperationName, Fields, string][] = [
      ['GlanceCreateImageMetadata', { body: { name: 'x' } }, 'add_image'],
      ['GlanceUpdateImage', { image_id: id, body: [{ op: 'replace', path: '/name', value: 'x' }] }, 'modify_image'],
      ['GlanceDeleteImage', { image_id: id }, 'delete_image'],
      ['GlanceCreateTag', { image_id: id, tag: 'x' }, 'modify_image'],
      ['GlanceAddImageMember', { image_id: id, body: { member: PROJECTS.member } }, 'add_member'],
    ];
    for (const [op, fields, rule] of writes) {
      assert.deepEqual(await sdk.reader.refused(op, fields),
        imsRefusal(403, 'IMG.0161', `You are not authorized to complete ${rule} action.`), op);
    }
    assert.deepEqual(await sdk.reader.refused('BatchAddMembers', { body: { images: [id], projects: [PROJECTS.member] } }),
      imsRefusal(403, 'IMG.0026', 'The role is invalid: this operation needs the member role in the project.'));
    assert.deepEqual((await sdk.owner.call('GlanceListImageMembers', { image_id: id })).members
      .map((m: Body) => m.member_id), [PROJECTS.member]);
  });

  it('every operation: a bad signature, an unknown key, a project the key has no role on (APIGW.0301)', async () => {
    const forged = client({ access: KEYS.owner.access, secret: 'not-the-secret' }, PROJECTS.owner);
    const stranger = client({ access: 'HPUAUNKNOWN000000001', secret: KEYS.owner.secret }, PROJECTS.owner);
    const elsewhere = client(KEYS.owner, PROJECTS.member);
    for (const op of Object.keys(OPERATIONS) as OperationName[]) {
      assert.deepEqual(await forged.refused(op, ANY_REQUEST[op]), apigwRefusal('verify aksk signature fail'), op);
      assert.deepEqual(await stranger.refused(op, ANY_REQUEST[op]), apigwRefusal('ak HPUAUNKNOWN000000001 not exist'), op);
      assert.deepEqual(await elsewhere.refused(op, ANY_REQUEST[op]),
        apigwRefusal(`project ${PROJECTS.member} is not authorized for ak ${KEYS.owner.access}`), op);
    }
    // A path naming another project than the credential's.
    assert.deepEqual(await sdk.owner.refused('ShowJob', { project_id: PROJECTS.member, job_id: '0'.repeat(32) }),
      imsRefusal(400, 'IMG.0030', 'The project ID and token in the request are invalid.'));
    // Without a project id, a key whose user has one project acts in it.
    const implicit = client(KEYS.member);
    assert.deepEqual((await implicit.call('ListImages', { name: 'nothing-here' })).images, []);
    assert.deepEqual((await implicit.call('GlanceListImages', { name: 'nothing-here' })).images, []);
  });

  it('accounts and organizations: BatchAddMembers with domains and organizations, member_type and urn, '
    + 'GlanceListImageMembers paging, an account accepting, an organization needing no acceptance', async () => {
    // The organization: `orgs` manages it, account `division` sits in OU `team` (ims org, on the database).
    const ims = async (...args: string[]) =>
      (await exec(process.execPath, [IMS_BIN, ...args, '--data-dir', srv.dataDir])).stdout.trim();
    const [org] = (await ims('org', 'create', 'orgs')).split('\t');
    const team = await ims('org', 'ou', 'create', 'orgs', 'team');
    await ims('org', 'account', 'add', 'orgs', 'division', '--parent', team);
    const urn = `organizations::${ACCOUNTS.orgs}:ou:${org}/${team}`;
    const partner = client(KEYS.partner, PROJECTS.partner);
    const division = client(KEYS.division, PROJECTS.division);

    const id = await activeImage('account-shares');
    const add = await sdk.owner.call('BatchAddMembers', { body: { images: [id], domains: [ACCOUNTS.partner],
      organizations: [urn] } });
    const added = await sdk.owner.finishedJob(add.job_id);
    assert.equal(added.status, 'SUCCESS', JSON.stringify(added));
    assert.deepEqual(added.entities.results.map((r: Body) => [r.project_id, r.status]),
      [[ACCOUNTS.partner, 'success'], [urn, 'success']]);

    const listed = await sdk.owner.call('ListImageMembers', { image_id: id });
    assert.deepEqual(listed.members.map((m: Body) => [m.member_id, m.member_type, m.status, m.urn]),
      [[ACCOUNTS.partner, 'domain', 'pending', undefined], [team, 'organization', 'accepted', urn]]);
    for (const m of listed.members) assertShape(m, MEMBER, 'ListImageMembers member');
    const shown = await sdk.owner.call('GlanceShowImageMember', { image_id: id, member_id: team });
    assert.deepEqual([shown.member_type, shown.urn], ['organization', urn]);
    const first = await sdk.owner.call('GlanceListImageMembers', { image_id: id, limit: 1 });
    assert.equal(Buffer.from(first.page_info.next_marker, 'base64').toString(), first.members[0].member_id);
    const second = await sdk.owner.call('GlanceListImageMembers',
      { image_id: id, limit: 1, marker: first.page_info.next_marker });
    assert.deepEqual([second.members.length, second.page_info], [1, { current_count: 1 }]);

    // The account's project accepts for the account; the organization's account needs no acceptance.
    const sharedWith = async (who: ImsSdkClient, query: Fields) => ids((await who.call('ListImages', query)).images);
    assert.deepEqual(await sharedWith(partner, { member_status: 'pending' }), [id]);
    const accept = await partner.call('BatchUpdateMembers',
      { body: { images: [id], project_id: PROJECTS.partner, status: 'accepted' } });
    assert.equal((await partner.finishedJob(accept.job_id)).status, 'SUCCESS');
    assert.deepEqual(await sharedWith(partner, { __imagetype: 'shared' }), [id]);
    assert.deepEqual(await sharedWith(division, { __imagetype: 'shared' }), [id]);
    assert.equal((await division.call('GlanceShowImage', { image_id: id })).__imagetype, 'shared');
    assert.deepEqual(await division.refused('GlanceUpdateImageMember',
      { image_id: id, member_id: PROJECTS.division, body: { status: 'rejected' } }),
    imsRefusal(403, 'IMG.0161', `Image ${id} is shared with your organization: its accounts use it without accepting `
      + 'it, and cannot reject it.'));

    // Removed by the bare OU id, as Huawei's BatchDeleteMembers example sends it.
    const removal = await sdk.owner.call('BatchDeleteMembers', { body: { images: [id], domains: [ACCOUNTS.partner],
      organizations: [team] } });
    assert.equal((await sdk.owner.finishedJob(removal.job_id)).status, 'SUCCESS');
    assert.deepEqual((await sdk.owner.call('ListImageMembers', { image_id: id })).members, []);
    assert.deepEqual(await division.refused('GlanceShowImage', { image_id: id }),
      imsRefusal(404, 'IMG.0086', `No image found with ID ${id}`));
  });
});
