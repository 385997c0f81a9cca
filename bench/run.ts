/**
 * `npm run bench`: ims serve and the bare-Fastify ceiling, side by side, driven by autocannon on loopback.
 * See bench/README.md for what each scenario does and how to read the results.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { buildContainer, type Container } from '../src/container.js';
import { type BatchRun, replayHeaders, runBatch, runCeilingBatch } from './batch.js';
import type { Canned } from './ceiling.js';
import { type LoadResult, medianLoad, type RequestSpec, runLoad } from './load.js';
import { analyzeProfile, nowUs, profileMarkdown, type Window } from './profile.js';
import {
  type BenchResults, type BatchResult, judgeTargets, markdownTable, median, type ScenarioResult, textTable,
} from './report.js';
import {
  baseScenarios, type Scenario, type Seeded, sharedListName, sharedListScenario, sharedPagesScenario,
} from './scenarios.js';
import {
  type Accounts, addMembers, bulkAcceptedShares, createImages, newestShares, projectId, projectTarget, seedAccounts,
  seedOrganizationViewer, share,
} from './seed.js';
import { type ServerProcess, startCeiling, startIms, waitIdle } from './servers.js';

interface Options {
  databaseUrl?: string;
  duration: string;
  smoke?: boolean;
  connections?: string;
  warmup?: string;
  repeat: string;
  batchRuns?: string;
  pollMs: string;
  shares: string;
  only?: string;
  profile?: boolean;
  out: string;
  keep?: boolean;
}

const here = path.dirname(new URL(import.meta.url).pathname);
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/** The commit checked out and how many files under src/ differ from it (the build under test). */
function codeVersion(): BenchResults['code'] {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: path.resolve(here, '../..'), encoding: 'utf8' });
  try {
    return { commit: git('rev-parse', '--short', 'HEAD').trim(),
      dirtySrcFiles: git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length };
  } catch {
    return { commit: 'unknown', dirtySrcFiles: -1 };
  }
}

/** A fresh schema on the given PostgreSQL database (reached through search_path), dropped afterwards. */
async function postgresSchema(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const run = async (q: string) => {
    const client = new pg.Client({ connectionString: baseUrl });
    await client.connect();
    try {
      await client.query(q);
    } finally {
      await client.end();
    }
  };
  await run(`create schema ${schema}`);
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), drop: () => run(`drop schema ${schema} cascade`) };
}

/**
 * Table statistics, as a database in service has them (autovacuum gathers them within a minute or so of
 * the seeding; without them PostgreSQL plans the fresh tables as if they were empty). SQLite plans
 * without statistics.
 */
async function analyze(c: Container): Promise<void> {
  if (c.store.dialect === 'postgres') await sql`analyze`.execute(c.store.db);
}

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

async function putCanned(ceiling: ServerProcess, canned: Canned): Promise<void> {
  const res = await fetch(`${ceiling.url}/__bench/canned`, {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(canned),
  });
  if (res.status !== 204) throw new Error(`ceiling refused the canned response: ${res.status}`);
}

/** One real request of the scenario to ims; its answer becomes the ceiling's canned response. */
async function capture(ims: ServerProcess, spec: RequestSpec)
  : Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const req = spec.next ? { ...spec, ...spec.next() } : spec;
  const res = await fetch(`${ims.url}${req.path}`, {
    method: req.method, headers: req.headers, ...(req.body === undefined ? {} : { body: req.body }),
  });
  return { status: res.status, headers: replayHeaders(res), body: await res.text() };
}

async function main(): Promise<number> {
  const program = new Command('bench')
    .description('ims vs a bare-Fastify ceiling, every sharing path (see bench/README.md)')
    .option('--database-url <url>', 'postgres://... to run on PostgreSQL (a fresh schema is created and dropped)')
    .option('--duration <seconds>', 'seconds per scenario and server', '10')
    .option('--smoke', '1 s per scenario, 32 connections only, no warm-up, one batch run (CI)')
    .option('--connections <list>', 'comma-separated connection counts (default 1,32; smoke 32)')
    .option('--repeat <n>', 'measure each scenario n times (ceiling and ims alternating); medians are reported', '1')
    .option('--warmup <seconds>', 'warm-up per scenario and server before measuring (default 1; smoke 0)')
    .option('--batch-runs <n>', 'runs of the 100 x 100 batch, the median is reported (default 3; smoke 1)')
    .option('--poll-ms <ms>', 'job polling interval of the batch scenario', '5')
    .option('--shares <n>', 'accepted shares of the large "shared with me" case', '100000')
    .option('--only <names>', 'comma-separated scenario names to run (batch = the batch scenario)')
    .option('--profile', 'run ims under node --cpu-prof and summarise self time per scenario')
    .option('--out <dir>', 'results directory', path.resolve(here, '../../bench/results'))
    .option('--keep', 'keep the temp data dir / PostgreSQL schema')
    .parse(process.argv);
  const opts = program.opts<Options>();
  const smoke = opts.smoke === true;
  const seconds = smoke ? 1 : positive('--duration', opts.duration);
  const connections = (opts.connections ?? (smoke ? '32' : '1,32')).split(',').map((c) => positive('--connections', c));
  const repeat = Math.max(1, Math.round(positive('--repeat', opts.repeat)));
  const warmup = positive('--warmup', opts.warmup ?? (smoke ? '0' : '1'));
  const batchRuns = Math.max(1, positive('--batch-runs', opts.batchRuns ?? (smoke ? '1' : '3')));
  const pollMs = positive('--poll-ms', opts.pollMs);
  const largeShares = positive('--shares', opts.shares);
  const only = opts.only?.split(',');
  const wanted = (name: string) => !only || only.includes(name);
  const database: BenchResults['database'] = opts.databaseUrl ? 'postgres' : 'sqlite';
  const date = new Date().toISOString().slice(0, 10);

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ims-bench-'));
  const profileDir = opts.profile ? path.join(dataDir, 'profile') : undefined;
  const schema = opts.databaseUrl ? await postgresSchema(opts.databaseUrl) : undefined;
  const databaseUrl = schema?.url;
  let ims: ServerProcess | undefined;
  let ceiling: ServerProcess | undefined;
  let container: Container | undefined;
  const windows: Window[] = [];
  const problems: string[] = [];
  const results: BenchResults = {
    database, date, mode: smoke ? 'smoke' : 'full', secondsPerRun: seconds, repeat, warmupSeconds: warmup, connections,
    machine: { node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length,
      loadavgStart: os.loadavg().map((l) => Math.round(l * 100) / 100), loadavgEnd: [] },
    code: codeVersion(), seed: {}, scenarios: [], batch: undefined,
    server: { imsPeakRssMb: undefined, ceilingPeakRssMb: undefined }, targets: [], problems,
  };

  try {
    log(`${database}${schema ? ` (${new URL(databaseUrl!).searchParams.get('options')})` : ''}, data dir ${dataDir}`);
    ims = await startIms({ dataDir, ...(databaseUrl ? { databaseUrl } : {}), ...(profileDir ? { profileDir } : {}) });
    ceiling = await startCeiling();
    log(`ims pid ${ims.pid} at ${ims.url}; ceiling pid ${ceiling.pid} at ${ceiling.url}`);
    container = await buildContainer(loadConfig({}, { dataDir, ...(databaseUrl ? { databaseUrl } : {}) }));
    const c = container;

    // Seeding (not timed): accounts, images and memberships through the services.
    let t = performance.now();
    const accounts: Accounts = await seedAccounts(c);
    const { owner, member, viewer } = accounts;
    const [imageGet, imageUpdate, imageList] = await createImages(c, owner, 3, 'scenario');
    await share(c, owner, member, [imageGet!], 'accepted');
    await share(c, owner, member, [imageUpdate!], 'pending');
    await addMembers(c, owner, imageList!, 100);
    // 256 members each (the default quota): room for a million adds, what --repeat 3 of 10 s at ~20k adds/s needs.
    const addPool = await createImages(c, owner, smoke ? 200 : 4000, 'add-pool');
    const jobImages = await createImages(c, owner, 2, 'job');
    const batchImages = wanted('batch') ? await createImages(c, owner, 100 * batchRuns, 'batch') : [];
    const smallShares = 1000;
    const shareImages = await createImages(c, owner, smallShares, 'shared');
    await share(c, owner, viewer, shareImages, 'accepted');
    const smallJob = await runBatch(ims.url, owner, jobImages, Array.from({ length: 5 }, projectId), pollMs);
    results.seed = { images: 3 + addPool.length + 2 + batchImages.length + smallShares, membersOfListImage: 100,
      acceptedSharesOfViewer: smallShares };
    await analyze(c);
    log(`seeded through the services in ${Math.round(performance.now() - t)} ms`);
    const seeded: Seeded = { accounts, imageGet: imageGet!, imageUpdate: imageUpdate!, imageList: imageList!, addPool,
      jobId: smallJob.jobId };

    const runScenario = async (s: Scenario): Promise<void> => {
      const captured = await capture(ims!, s.request);
      let body: unknown;
      try {
        body = JSON.parse(captured.body);
      } catch {
        body = undefined;
      }
      const wrong = captured.status !== s.status ? `status ${captured.status}: ${captured.body.slice(0, 300)}`
        : s.check?.(body);
      if (wrong) {
        problems.push(`${s.name}: ims answered wrongly (${wrong}); scenario skipped`);
        log(`${s.name}: SKIPPED, ${wrong}`);
        return;
      }
      await putCanned(ceiling!, { route: s.route, ...captured });
      const result: ScenarioResult = {
        name: s.name, title: s.title, kind: s.kind, method: s.request.method, path: s.request.path,
        bodyBytes: Buffer.byteLength(captured.body), runs: [],
      };
      if (warmup > 0) {
        await runLoad(ceiling!.url, s.request, Math.max(...connections), warmup);
        await runLoad(ims!.url, s.request, Math.max(...connections), warmup);
      }
      for (const conns of connections) {
        const pairs: { ims: LoadResult; ceiling: LoadResult; ratio: number }[] = [];
        for (let r = 0; r < repeat; r++) {
          await waitIdle(ceiling!.pid);
          const ceil = await runLoad(ceiling!.url, s.request, conns, seconds);
          await waitIdle(ims!.pid);
          const startUs = nowUs();
          const real = await runLoad(ims!.url, s.request, conns, seconds);
          windows.push({ label: `${s.name} @${conns} conn${repeat > 1 ? ` #${r + 1}` : ''}`, startUs, endUs: nowUs() });
          pairs.push({ ims: real, ceiling: ceil, ratio: Math.round((1000 * real.rps) / ceil.rps) / 1000 });
          if (real.non2xx + real.errors > 0) {
            problems.push(`${s.name} @${conns}: ${real.non2xx} non-2xx answers and ${real.errors} errors from ims `
              + `(statuses ${JSON.stringify(real.statuses)})`);
          }
          if (ceil.non2xx + ceil.errors > 0) problems.push(`${s.name} @${conns}: the ceiling failed requests`);
        }
        const real = medianLoad(pairs.map((p) => p.ims));
        const ceil = medianLoad(pairs.map((p) => p.ceiling));
        const ratio = median(pairs.map((p) => p.ratio));
        result.runs.push({ connections: conns, ims: real, ceiling: ceil, ratio, imsPeakRssMb: ims!.memory()?.peakMb,
          ...(repeat > 1 ? { repeats: pairs } : {}) });
        log(`${s.name} @${conns}: ims ${real.rps} req/s p50 ${real.p50} p99 ${real.p99} ms | ceiling ${ceil.rps} req/s `
          + `| ratio ${ratio}${repeat > 1 ? ` (median of ${repeat})` : ''}`);
      }
      results.scenarios.push(result);
    };

    for (const s of baseScenarios(seeded)) if (wanted(s.name)) await runScenario(s);
    const small = sharedListScenario(seeded, smallShares);
    if (wanted(small.name)) await runScenario(small);
    const large = sharedListScenario(seeded, largeShares);
    if (wanted(large.name) && largeShares > smallShares) {
      t = performance.now();
      await bulkAcceptedShares(c, owner, projectTarget(viewer), largeShares - smallShares);
      results.seed.acceptedSharesOfViewer = largeShares;
      results.seed.images += largeShares - smallShares;
      await analyze(c);
      log(`bulk-inserted ${largeShares - smallShares} more accepted shares in ${Math.round(performance.now() - t)} ms`);
      await runScenario(large);
    }

    if (wanted('batch')) {
      const runs: BatchRun[] = [];
      for (let i = 0; i < batchRuns; i++) {
        const images = batchImages.slice(i * 100, (i + 1) * 100);
        const projects = Array.from({ length: 100 }, projectId);
        await waitIdle(ims.pid);
        const startUs = nowUs();
        const run = await runBatch(ims.url, owner, images, projects, pollMs);
        windows.push({ label: `batch run ${i + 1}`, startUs, endUs: nowUs() });
        runs.push(run);
        log(`batch ${i + 1}/${batchRuns}: ${Math.round(run.ms)} ms to SUCCESS (job ${run.jobMs} ms, ${run.polls} polls, `
          + `submit answered in ${Math.round(run.submitMs)} ms, slowest poll ${Math.round(run.slowestPollMs)} ms)`);
      }
      const last = runs[runs.length - 1]!;
      await putCanned(ceiling, { route: 'POST /v1/cloudimages/members', ...last.submit });
      await putCanned(ceiling, { route: 'GET /v1/:project_id/jobs/:job_id', ...last.final });
      const ceilingMs: number[] = [];
      for (let i = 0; i < batchRuns; i++) {
        ceilingMs.push(await runCeilingBatch(ceiling.url, owner, batchImages.slice(0, 100), ['0'.repeat(32)]));
      }
      const batch: BatchResult = {
        images: 100, projects: 100, pollMs,
        runs: runs.map((r) => ({ ms: Math.round(r.ms), jobMs: r.jobMs, polls: r.polls, submitMs: Math.round(r.submitMs),
          slowestPollMs: Math.round(r.slowestPollMs) })),
        medianMs: Math.round(median(runs.map((r) => r.ms))), medianJobMs: median(runs.map((r) => r.jobMs)),
        ceilingMedianMs: Math.round(10 * median(ceilingMs)) / 10, finalBodyBytes: Buffer.byteLength(last.final.body),
      };
      results.batch = batch;
    }
    results.server = { imsPeakRssMb: ims.memory()?.peakMb, ceilingPeakRssMb: ceiling.memory()?.peakMb };

    // Last, so the issue's RSS target is judged on its own scenarios: a client walking a long list pages
    // through images ims keeps for no one else, and leaves the allocator holding freed memory (bench/README.md).
    if (wanted(large.name) && largeShares > smallShares) {
      const cold = sharedPagesScenario(seeded, largeShares, await newestShares(c, projectTarget(viewer), 20_000));
      if (wanted(cold.name)) {
        await runScenario(cold);
        results.server.imsPeakRssMbWithCold = ims.memory()?.peakMb;
      }
    }
    // The same listings for a viewer the shares reach through an OU above its account (issue 13: within 1.5x).
    if (largeShares > smallShares && [false, true].some((cold) => wanted(sharedListName(largeShares, true, cold)))) {
      t = performance.now();
      const { viewer: orgViewer, ou } = await seedOrganizationViewer(c);
      await bulkAcceptedShares(c, owner, ou, largeShares);
      results.seed.images += largeShares;
      await analyze(c);
      log(`bulk-inserted ${largeShares} shares with an OU in ${Math.round(performance.now() - t)} ms`);
      const through = { viewer: orgViewer };
      const list = sharedListScenario(seeded, largeShares, through);
      if (wanted(list.name)) await runScenario(list);
      const cold = sharedPagesScenario(seeded, largeShares, await newestShares(c, ou, 20_000), through);
      if (wanted(cold.name)) await runScenario(cold);
    }
  } finally {
    results.machine.loadavgEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
    await container?.close();
    await ims?.stop();
    await ceiling?.stop();
    if (!opts.keep) {
      await schema?.drop();
    }
  }

  results.targets = judgeTargets(results);
  fs.mkdirSync(opts.out, { recursive: true });
  const suffix = smoke ? '.smoke' : opts.profile ? '.profiled' : '';
  const file = path.join(opts.out, `${database}-${date}${suffix}.json`);
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\n${textTable(results)}\n\n${markdownTable(results)}\n\nTargets (issue 5, ${database}):\n`);
  for (const tg of results.targets) process.stdout.write(`  ${tg.met ? 'met   ' : 'MISSED'} ${tg.target}: ${tg.value}\n`);
  process.stdout.write(`\nresults: ${file}\n`);

  if (profileDir) {
    const profile = path.join(profileDir, 'ims.cpuprofile');
    fs.writeFileSync(path.join(profileDir, 'windows.json'), JSON.stringify(windows));
    if (fs.existsSync(profile)) {
      const md = profileMarkdown(`ims CPU profile, ${database}, ${date}`, analyzeProfile(profile, windows));
      const mdFile = path.join(opts.out, `${database}-${date}.profile.md`);
      fs.writeFileSync(mdFile, `${md}\n`);
      process.stdout.write(`profile summary: ${mdFile} (raw profile: ${profile})\n`);
    } else {
      problems.push(`no CPU profile was written in ${profileDir}`);
    }
  }
  if (!opts.keep && !profileDir) fs.rmSync(dataDir, { recursive: true, force: true });
  if (problems.length > 0) {
    process.stderr.write(`\nbench problems:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return 1;
  }
  return 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`bench: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
