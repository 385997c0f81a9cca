import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { CompiledQuery, sql } from 'kysely';
import type { Store } from '../../src/db/database.js';
import type { Db } from '../../src/db/prepared.js';
import { type Image, newImage } from '../../src/domain/image.js';
import { parseListQuery } from '../../src/domain/image-query.js';
import { CacheSpace } from '../../src/cache/cache-space.js';
import { ImageRepo, type ImageViewer } from '../../src/repos/image-repo.js';
import { databaseKinds, type DatabaseKind, openTestStore } from '../helpers/databases.js';
import { gate } from '../helpers/gate.js';

async function openRepo(t: TestContext, kind: DatabaseKind): Promise<{ store: Store; repo: ImageRepo }> {
  const store = await openTestStore(t, kind);
  return { store, repo: new ImageRepo(store, new CacheSpace(64 * 1024 * 1024)) };
}

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const uuidOf = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function img(n: number, over: Partial<Image> = {}): Image {
  return newImage({ id: uuidOf(n), owner: 'me', created_at: at(n), name: `img-${String(n).padStart(2, '0')}`,
    visibility: 'shared', ...over });
}

const q = (s = '') => parseListQuery([...new URLSearchParams(s)]);
const me: ImageViewer = { projectId: 'me', isAdmin: false };
const admin: ImageViewer = { projectId: 'adm', isAdmin: true };
const names = (images: readonly Image[]) => images.map((i) => i.name);

async function addMember(store: Store, imageId: string, memberId: string, status: string, trx: Db = store.db)
  : Promise<void> {
  const image = await trx.selectFrom('images').select('created_at').where('id', '=', imageId).executeTakeFirstOrThrow();
  await trx.insertInto('image_members').values({
    image_id: imageId, member_id: memberId, status, vault_id: null, member_type: 'project', urn: null, image_created_at: image.created_at,
    created_at: at(0), updated_at: at(0),
  }).execute();
}

for (const kind of databaseKinds()) {
  describe(`image repository contract (${kind.name})`, () => {
    it('insert, get, update, transition, delete; members cascade', async (t) => {
      const { store, repo } = await openRepo(t, kind);
      const image = img(1, { tags: ['a', 'b'], extra: { __os_type: 'Linux', 'owner_specified.openstack.md5': '' },
        protected: true, min_ram: 512 });
      assert.equal(await repo.insert(image), true);
      assert.equal(await repo.insert(image), false);
      assert.deepEqual(await repo.get(image.id), image);
      assert.equal(await repo.get(uuidOf(99)), undefined);

      const changed = { ...image, name: 'renamed', visibility: 'private' as const, protected: false, os_hidden: true,
        tags: ['c'], extra: { k: 'v' }, owner: 'other', container_format: 'bare', disk_format: 'raw', min_disk: 3,
        updated_at: at(50), status: 'active' as const, size: 99 };
      assert.equal(await repo.update(image.id, changed), true);
      const updated = await repo.get(image.id);
      assert.deepEqual(updated, { ...changed, status: 'queued', size: null }, 'update never touches status or size');
      assert.equal(await repo.update(uuidOf(99), changed), false);

      assert.equal(await repo.transition(image.id, 'active', 'saving', at(60)), false);
      assert.equal(await repo.transition(image.id, 'queued', 'saving', at(60)), true);
      assert.equal(await repo.transition(image.id, 'saving', 'active', at(61), {
        size: 2 ** 40, checksum: 'c'.repeat(32), os_hash_algo: 'sha512', os_hash_value: 'f'.repeat(128),
        virtual_size: 2 ** 40,
      }), true);
      const active = (await repo.get(image.id))!;
      assert.deepEqual([active.status, active.size, active.virtual_size, active.updated_at],
        ['active', 2 ** 40, 2 ** 40, at(61)]);

      await addMember(store, image.id, 'm1', 'accepted');
      const found = (await repo.getWithMembership(image.id, 'm1'))!;
      assert.deepEqual({ ...found, rev: undefined }, { image: active, rev: undefined, memberStatus: 'accepted',
        membership: { status: 'accepted', memberId: 'm1', memberType: 'project' } });
      assert.deepEqual(await repo.getWithMembership(image.id, 'm2'), { image: active, rev: found.rev, memberStatus: undefined });
      assert.equal((await repo.membership(image.id, 'm1'))?.status, 'accepted');
      assert.equal(await repo.delete(image.id), true);
      assert.equal(await repo.delete(image.id), false);
      const left = await store.db.selectFrom('image_members').selectAll().execute();
      assert.deepEqual(left, []);
    });

    it('rev: a new one on every change of the row or its memberships, by any writer; cached images follow it', async (t) => {
      const { store, repo } = await openRepo(t, kind);
      const image = img(1);
      await repo.insert(image);
      const rev = async () => (await repo.getWithMembership(image.id, 'm1'))!.rev;
      const first = await repo.getWithMembership(image.id, 'm1');
      assert.equal(typeof first!.rev, 'number');
      assert.ok(Number.isSafeInteger(first!.rev));
      const again = await repo.getWithMembership(image.id, 'm1');
      assert.equal(again!.rev, first!.rev);
      assert.equal(again!.image, first!.image, 'the same cached object while the row is unchanged');
      assert.ok(Object.isFrozen(first!.image) && Object.isFrozen(first!.image.tags) && Object.isFrozen(first!.image.extra));

      const seen = new Set([first!.rev]);
      const changes: [string, () => Promise<unknown>][] = [
        ['image update', () => repo.update(image.id, { ...image, name: 'renamed' })],
        ['status transition', () => repo.transition(image.id, 'queued', 'saving', at(70))],
        ['member insert', () => addMember(store, image.id, 'm1', 'pending')],
        ['member update', () => store.db.updateTable('image_members').set({ status: 'accepted' }).execute()],
        ['member delete', () => store.db.deleteFrom('image_members').execute()],
        ['raw update of another column', () => sql`update images set min_ram = 7`.execute(store.db)],
      ];
      for (const [what, change] of changes) {
        await change();
        const now = await rev();
        assert.ok(!seen.has(now), `${what} takes a new rev`);
        seen.add(now);
      }
      const latest = (await repo.getWithMembership(image.id, 'm1'))!;
      assert.deepEqual([latest.image.name, latest.image.status, latest.image.min_ram], ['renamed', 'saving', 7]);
      assert.notEqual(latest.image, first!.image);
      const [listed] = await repo.list(me, q());
      assert.equal(listed, latest.image, 'lists share the cached image');
      await sql`update images set name = 'raw'`.execute(store.db);
      assert.equal((await repo.list(me, q()))[0]!.name, 'raw', 'a page shows a change made by any writer');

      await repo.delete(image.id);
      await repo.insert(image);
      assert.ok(!seen.has(await rev()), 'a re-created image never shows an old rev');
      assert.equal((await repo.getWithMembership(image.id, 'm1'))!.image.name, image.name);
    });

    it('lock returns the row and its member count inside a transaction; the triggers keep the count', async (t) => {
      const { store, repo } = await openRepo(t, kind);
      await repo.insert(img(1));
      await repo.insert(img(2));
      const lock = (i: number) => store.db.transaction().execute((trx) => repo.lock(uuidOf(i), trx));
      assert.equal((await lock(1))?.image.id, uuidOf(1));
      assert.equal((await lock(1))?.members, 0);
      for (const m of ['a', 'b', 'c']) await addMember(store, uuidOf(1), m, 'pending');
      await addMember(store, uuidOf(2), 'a', 'pending');
      assert.deepEqual([(await lock(1))?.members, (await lock(2))?.members], [3, 1]);
      // One statement for several images and rows, one of them already there (not inserted, not counted).
      const row = (image: number, member: string) => ({ image_id: uuidOf(image), member_id: member, status: 'pending',
        vault_id: null, member_type: 'project', urn: null, image_created_at: at(0), created_at: at(0), updated_at: at(0) });
      await store.db.insertInto('image_members').values([row(1, 'd'), row(2, 'b'), row(2, 'c'), row(1, 'a')])
        .onConflict((oc) => oc.columns(['image_id', 'member_id']).doNothing()).execute();
      assert.deepEqual([(await lock(1))?.members, (await lock(2))?.members], [4, 3]);
      await store.db.updateTable('image_members').set({ status: 'accepted' }).execute();
      await store.db.deleteFrom('image_members').where('member_id', 'in', ['a', 'b']).execute();
      assert.deepEqual([(await lock(1))?.members, (await lock(2))?.members], [2, 1]);
      const counted = await store.db.selectFrom('image_members').select(['image_id', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('image_id').orderBy('image_id').execute();
      assert.deepEqual(counted.map((c) => Number(c.n)), [2, 1]);
      assert.equal(await lock(3), undefined);
    });

    it('every filter', async (t) => {
      const { repo } = await openRepo(t, kind);
      await repo.insert(img(1, { status: 'active', size: 100, container_format: 'bare', disk_format: 'raw',
        tags: ['x', 'y'], extra: { hw: 'kvm', __whole_image: 'true' }, checksum: 'c1', min_ram: 5 }));
      await repo.insert(img(2, { size: 200, container_format: 'ovf', disk_format: 'qcow2', tags: ['x'],
        extra: { hw: 'xen' }, protected: true, visibility: 'private' }));
      await repo.insert(img(3, { name: null, os_hidden: true, visibility: 'public', tags: ['y'] }));
      await repo.insert(img(4, { owner: 'someone', visibility: 'public', name: 'a,b' }));
      const list = async (s: string) => names(await repo.list(me, q(s)));
      assert.deepEqual(await list(''), ['a,b', 'img-02', 'img-01']);
      assert.deepEqual(await list('name=img-01'), ['img-01']);
      assert.deepEqual(await list('name=in:img-01,"a,b"'), ['a,b', 'img-01']);
      assert.deepEqual(await list(`id=in:${uuidOf(1)},${uuidOf(2)}`), ['img-02', 'img-01']);
      assert.deepEqual(await list('owner=someone'), ['a,b']);
      assert.deepEqual(await list('status=active'), ['img-01']);
      assert.deepEqual(await list('status=in:queued,saving'), ['a,b', 'img-02']);
      assert.deepEqual(await list('container_format=ovf'), ['img-02']);
      assert.deepEqual(await list('disk_format=raw'), ['img-01']);
      assert.deepEqual(await list('size_min=150'), ['img-02']);
      assert.deepEqual(await list('size_max=150'), ['img-01']);
      assert.deepEqual(await list('size_min=100&size_max=200'), ['img-02', 'img-01']);
      assert.deepEqual(await list('protected=true'), ['img-02']);
      assert.deepEqual(await list('protected=false'), ['a,b', 'img-01']);
      assert.deepEqual(names(await repo.list(me, q('os_hidden=true'))), [null]);
      assert.deepEqual(await list('tag=x'), ['img-02', 'img-01']);
      assert.deepEqual(await list('tag=x&tag=y'), ['img-01']);
      assert.deepEqual(await list('tag=z'), []);
      assert.deepEqual(await list('hw=kvm'), ['img-01']);
      assert.deepEqual(await list('hw=kvm&__whole_image=true'), ['img-01']);
      assert.deepEqual(await list('hw=none'), []);
      assert.deepEqual(await list('checksum=c1'), ['img-01']);
      assert.deepEqual(await list('min_ram=5'), ['img-01']);
      assert.deepEqual(await list('visibility=private'), ['img-02']);
      assert.deepEqual(await list('visibility=public'), ['a,b']);
      assert.deepEqual(await list('__imagetype=gold'), ['a,b']);
      // The viewer's own images are private to it, whatever their visibility.
      assert.deepEqual(await list('__imagetype=private'), ['img-02', 'img-01']);
      assert.deepEqual(await list('__imagetype=shared'), []);
      assert.deepEqual(await list('__imagetype=market'), []);
      assert.deepEqual(await list(`created_at=${at(2)}`), ['img-02']);
      assert.deepEqual(await list(`created_at=eq:${at(2).slice(0, 19)}Z`), ['img-02']);
      assert.deepEqual(await list(`created_at=neq:${at(2).slice(0, 19)}Z`), ['a,b', 'img-01']);
      assert.deepEqual(await list(`created_at=gt:${at(2)}`), ['a,b']);
      assert.deepEqual(await list(`created_at=gte:${at(2)}`), ['a,b', 'img-02']);
      assert.deepEqual(await list(`created_at=lt:${at(2)}`), ['img-01']);
      assert.deepEqual(await list(`created_at=lte:${at(2)}`), ['img-02', 'img-01']);
      assert.deepEqual(await list(`updated_at=gte:${at(4)}`), ['a,b']);
    });

    it('sorting, with NULLs as Glance defaults, and keyset pages that walk the whole order', async (t) => {
      const { repo } = await openRepo(t, kind);
      const specs = [
        { n: 1, name: 'b', size: 10, status: 'active' as const },
        { n: 2, name: 'a', size: null, status: 'queued' as const },
        { n: 3, name: null, size: 10, status: 'active' as const },
        { n: 4, name: 'b', size: 5, status: 'queued' as const },
        { n: 5, name: 'c', size: 10, status: 'saving' as const },
        { n: 6, name: 'a', size: 7, status: 'active' as const },
        { n: 7, name: 'b', size: 10, status: 'active' as const },
      ];
      for (const s of specs) await repo.insert(img(s.n, { name: s.name, size: s.size, status: s.status }));
      await repo.insert(img(8, { name: 'z', created_at: at(7) }));
      const order = async (s: string) => (await repo.list(me, q(s))).map((i) => i.id.slice(-2));
      assert.deepEqual(await order(''), ['08', '07', '06', '05', '04', '03', '02', '01']);
      assert.deepEqual(await order('sort=name:asc'), ['03', '02', '06', '01', '04', '07', '05', '08']);
      assert.deepEqual(await order('sort_key=name&sort_dir=desc'), ['08', '05', '07', '04', '01', '06', '02', '03']);
      assert.deepEqual(await order('sort=size:desc,name:asc'), ['03', '07', '01', '05', '06', '04', '02', '08']);
      assert.deepEqual(await order('sort=status:asc,id:desc'), ['07', '06', '03', '01', '08', '04', '02', '05']);
      assert.deepEqual(await order('sort_key=id&sort_dir=asc'), ['01', '02', '03', '04', '05', '06', '07', '08']);
      assert.deepEqual(await order('limit=3'), ['08', '07', '06']);
      assert.deepEqual(await order('limit=0'), []);

      for (const spec of ['', 'sort=name:asc', 'sort=size:desc,name:asc', 'sort=status:asc,id:desc',
        'sort_key=created_at&sort_dir=asc', 'sort=disk_format:asc,updated_at:desc']) {
        const all = await repo.list(me, q(spec));
        const walked: string[] = [];
        let marker: Image | undefined;
        for (let page = 0; page < 10; page++) {
          const rows = await repo.list(me, q(`${spec}&limit=3`), marker);
          walked.push(...rows.map((r) => r.id));
          if (rows.length < 3) break;
          marker = rows.at(-1);
        }
        assert.deepEqual(walked, all.map((i) => i.id), `pages of "${spec}"`);
      }
    });

    it('the visibility union for a non-admin, members inserted directly', async (t) => {
      const { store, repo } = await openRepo(t, kind);
      const fixtures: [string, Partial<Image>, string?][] = [
        ['A', { visibility: 'private' }], ['B', { visibility: 'shared' }], ['C', { visibility: 'community' }],
        ['D', { visibility: 'public' }], ['E', { owner: 'other', visibility: 'public' }],
        ['F', { owner: 'other', visibility: 'community' }], ['G', { owner: 'other', visibility: 'private' }],
        ['H', { owner: 'other', visibility: 'shared' }, 'pending'],
        ['I', { owner: 'other', visibility: 'shared' }, 'accepted'],
        ['J', { owner: 'other', visibility: 'shared' }, 'rejected'],
        ['K', { owner: 'other', visibility: 'shared' }],
        ['L', { owner: 'other', visibility: 'private' }, 'accepted'],
        ['M', { visibility: 'shared', os_hidden: true }],
        ['N', { owner: 'other', visibility: 'public' }, 'accepted'],
        ['O', { visibility: 'shared' }, 'pending'],
      ];
      for (const [i, [name, over, status]] of fixtures.entries()) {
        const image = img(i + 1, { name, ...over });
        await repo.insert(image);
        if (status) await addMember(store, image.id, 'me', status);
        if (name === 'K') await addMember(store, image.id, 'third', 'accepted');
      }
      const list = async (viewer: ImageViewer, s: string) => names(await repo.list(viewer, q(s))).sort().join('');
      assert.equal(await list(me, ''), 'ABCDEINO');
      assert.equal(await list(me, 'visibility=shared'), 'BIO');
      assert.equal(await list(me, 'member_status=pending'), 'ABCDEHNO');
      assert.equal(await list(me, 'visibility=shared&member_status=pending'), 'BHO');
      assert.equal(await list(me, 'member_status=rejected'), 'ABCDEJNO');
      assert.equal(await list(me, 'member_status=all'), 'ABCDEHIJNO');
      assert.equal(await list(me, 'visibility=shared&member_status=all'), 'BHIJO');
      assert.equal(await list(me, 'visibility=all'), 'ABCDEFINO');
      assert.equal(await list(me, 'visibility=community'), 'CF');
      assert.equal(await list(me, 'visibility=public'), 'DEN');
      assert.equal(await list(me, 'visibility=private'), 'A');
      assert.equal(await list(me, 'os_hidden=true'), 'M');
      assert.equal(await list({ projectId: 'third', isAdmin: false }, ''), 'DEKN');
      assert.equal(await list({ projectId: 'nobody', isAdmin: false }, 'visibility=all'), 'CDEFN');
      assert.equal(await list(admin, ''), 'ABDEGHIJKLNO');
      assert.equal(await list(admin, 'member_status=rejected'), 'ABDEGHIJKLNO');
      assert.equal(await list(admin, 'visibility=all'), 'ABCDEFGHIJKLNO');
      assert.equal(await list(admin, 'visibility=shared'), 'BHIJKO');
      assert.equal(await list({ projectId: 'other', isAdmin: true }, ''), 'ABDEFGHIJKLNO');

      // Pages of the union are disjoint and complete.
      const all = await repo.list(me, q('visibility=all&member_status=all'));
      const walked: string[] = [];
      let marker: Image | undefined;
      for (let i = 0; i < 20 && (i === 0 || marker); i++) {
        const rows = await repo.list(me, q('visibility=all&member_status=all&limit=2'), marker);
        walked.push(...names(rows) as string[]);
        marker = rows.length === 2 ? rows.at(-1) : undefined;
      }
      assert.deepEqual(walked, names(all));
      assert.equal(walked.join(''), 'ONJIHFEDCBA');
    });

    it('list_revs: every change a project could see in a list takes a new rev of its scope, no other', async (t) => {
      const { store, repo } = await openRepo(t, kind);
      // A scope has a row once it listed: here every project of the test has listed.
      for (const scope of ['', 'me', 'other', 'm1', 'm2', 'new', 'unrelated']) await repo.list({ projectId: scope, isAdmin: false }, q());
      assert.deepEqual((await store.db.selectFrom('list_revs').select('scope').orderBy('scope').execute()).map((r) => r.scope),
        ['', 'm1', 'm2', 'me', 'new', 'other', 'unrelated']);
      const revs = async () => Object.fromEntries((await store.db.selectFrom('list_revs').selectAll().execute())
        .map((r) => [r.scope, r.rev]));
      const changed = async (change: () => Promise<unknown>) => {
        const before = await revs();
        await change();
        const after = await revs();
        return Object.keys(after).filter((k) => after[k] !== before[k]).sort();
      };
      assert.deepEqual(await changed(() => repo.insert(img(1))), ['me']);
      assert.deepEqual(await changed(() => repo.insert(img(2, { owner: 'other', visibility: 'public' }))), ['', 'other']);
      assert.deepEqual(await changed(() => addMember(store, uuidOf(1), 'm1', 'pending')), ['m1']);
      assert.deepEqual(await changed(() => addMember(store, uuidOf(1), 'm2', 'pending')), ['m2']);
      assert.deepEqual(await changed(() => store.db.updateTable('image_members').set({ status: 'accepted' })
        .where('member_id', '=', 'm1').execute()), ['m1']);
      assert.deepEqual(await changed(() => repo.update(uuidOf(1), { ...img(1), name: 'renamed' })), ['m1', 'm2', 'me']);
      assert.deepEqual(await changed(() => repo.update(uuidOf(1), { ...img(1), owner: 'new' })), ['m1', 'm2', 'me', 'new']);
      assert.deepEqual(await changed(() => repo.update(uuidOf(1), { ...img(1), owner: null })), ['', 'm1', 'm2', 'new']);
      assert.deepEqual(await changed(() => repo.transition(uuidOf(2), 'queued', 'saving', at(9))), ['', 'other']);
      assert.deepEqual(await changed(() => repo.delete(uuidOf(1))), ['', 'm1', 'm2']);
      // SQLite renews only the rows of projects that listed; PostgreSQL gives every changed scope its row
      // (migration 0005: a project listing for the first time must not miss a change committing meanwhile).
      const neverListed = await changed(() => addMember(store, uuidOf(2), 'never-listed', 'pending'));
      assert.deepEqual(neverListed, kind.name === 'sqlite' ? [] : ['never-listed']);
    });

    if (kind.name === 'postgres') {
      it('list_revs: transactions renewing the same scopes in opposite orders both commit (no deadlock)', async (t) => {
        const { store, repo } = await openRepo(t, kind);
        for (let i = 1; i <= 4; i++) await repo.insert(img(i, { owner: 'other' }));
        for (const scope of ['a', 'b']) await repo.list({ projectId: scope, isAdmin: false }, q());
        const before = await store.db.selectFrom('list_revs').selectAll().where('scope', 'in', ['a', 'b']).execute();
        const firstDone = [gate(), gate()];
        const both = gate();
        const writer = (n: 0 | 1, [x, y]: string[]) => store.transaction(async (trx) => {
          await addMember(store, uuidOf(1 + n * 2), x!, 'pending', trx);
          firstDone[n]!.open();
          await both.wait;
          await addMember(store, uuidOf(2 + n * 2), y!, 'pending', trx);
        });
        const writers = [writer(0, ['a', 'b']), writer(1, ['b', 'a'])];
        await Promise.all(firstDone.map((g) => g.wait));
        both.open();
        await Promise.all(writers);
        const after = await store.db.selectFrom('list_revs').selectAll().where('scope', 'in', ['a', 'b']).execute();
        assert.equal(after.length, 2);
        for (const row of after) assert.notEqual(row.rev, before.find((b) => b.scope === row.scope)!.rev);
      });
    }


    it('list pages are kept while the viewer\'s scope and the public scope hold, and only then', async (t) => {
      const { store, repo } = await openRepo(t, kind);
      for (let i = 1; i <= 3; i++) await repo.insert(img(i, { owner: 'other' }));
      await addMember(store, uuidOf(1), 'me', 'accepted');
      await addMember(store, uuidOf(2), 'me', 'accepted');
      const shared = q('visibility=shared&member_status=accepted');
      const once = await repo.list(me, shared);
      assert.deepEqual(names(once), ['img-02', 'img-01']);
      assert.ok(!Object.isFrozen(once), 'a page asked for once is not kept');
      const first = await repo.list(me, shared);
      assert.ok(Object.isFrozen(first), 'kept from its second request on');
      assert.equal(await repo.list(me, shared), first, 'the same page while nothing it shows changed');
      await addMember(store, uuidOf(3), 'someone-else', 'accepted');
      await repo.insert(img(9, { owner: 'unrelated' }));
      assert.equal(await repo.list(me, shared), first, 'changes no list of mine can show leave it');
      await sql`update images set name = 'renamed' where id = ${uuidOf(1)}`.execute(store.db);
      assert.deepEqual(names(await repo.list(me, shared)), ['img-02', 'renamed']);
      await addMember(store, uuidOf(3), 'me', 'accepted');
      assert.deepEqual(names(await repo.list(me, shared)), ['img-03', 'img-02', 'renamed']);
      const page2 = await repo.list(me, q('visibility=shared&member_status=accepted&limit=1'), (await repo.get(uuidOf(3)))!);
      assert.deepEqual(names(page2), ['img-02'], 'pages after a marker are kept apart');
      await repo.insert(img(10, { owner: 'x', visibility: 'public' }));
      assert.deepEqual(names(await repo.list(me, q())).slice(0, 1), ['img-10'], 'a new public image shows at once');
    });

    if (kind.name === 'sqlite') {
      it('images shared with me: one index walk in order, no sort of my shares (SQLite plan)', async (t) => {
        const { store, repo } = await openRepo(t, kind);
        const compiled = repo.listQuery(me, q('visibility=shared&member_status=accepted&limit=25')).compile();
        const res = await store.db.executeQuery<{ detail: string }>(
          CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]));
        const plan = res.rows.map((r) => r.detail);
        const memberStep = plan.findIndex((d) => d.includes('image_members_member_status_idx (member_id=? AND status=?)'));
        assert.ok(memberStep >= 0, plan.join('\n'));
        assert.match(plan[memberStep + 1]!, /SEARCH images USING INDEX sqlite_autoindex_images_1 \(id=\?\)/);
        // The only sorts are of the <= 25-row branch results being merged, never of the memberships.
        assert.ok(plan.slice(memberStep + 2).every((d) => !/SEARCH|SCAN (image_members|m|images)\b/.test(d)), plan.join('\n'));
        assert.ok(plan.some((d) => d.includes('images_owner_visibility_created_idx (owner=? AND visibility=?)')), plan.join('\n'));
      });
    }

    if (kind.name === 'postgres') {
      it('every branch of the union can run on its index (PostgreSQL plan)', async (t) => {
        const { store, repo } = await openRepo(t, kind);
        for (let i = 1; i <= 600; i++) {
          await repo.insert(img(i, { owner: `p${i % 20}`, visibility: (['private', 'public', 'shared'] as const)[i % 3] }));
          if (i % 3 === 2) await addMember(store, uuidOf(i), i % 60 === 2 ? 'me' : `x${i}`, 'accepted');
        }
        await sql`analyze images`.execute(store.db);
        await sql`analyze image_members`.execute(store.db);
        const marker = (await repo.get(uuidOf(450)))!;
        const compiled = repo.listQuery(me, q(), marker).compile();
        const plan = await store.db.transaction().execute(async (trx) => {
          await sql`set local enable_seqscan = off`.execute(trx);
          const res = await trx.executeQuery<{ 'QUERY PLAN': string }>(
            CompiledQuery.raw(`explain ${compiled.sql}`, [...compiled.parameters]));
          return res.rows.map((r) => r['QUERY PLAN']).join('\n');
        });
        assert.match(plan, /images_owner_created_idx/);
        assert.match(plan, /images_visibility_created_idx/);
        assert.match(plan, /image_members_member_status_idx/);
        assert.doesNotMatch(plan, /Seq Scan/);
      });
    }
  });
}
