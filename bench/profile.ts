import fs from 'node:fs';

/** A stretch of the run (one scenario on ims), in microseconds of the monotonic clock V8's profiler uses. */
export interface Window {
  label: string;
  startUs: number;
  endUs: number;
}

export const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  fn: string;
  where: string;
  ms: number;
  /** Share of the window's busy (non-idle) samples. */
  pct: number;
}

export interface WindowProfile {
  label: string;
  busyMs: number;
  idleMs: number;
  top: HotFunction[];
  /**
   * Time under each innermost ims function (dist/src): its own time plus the library and native code it
   * called (Kysely, better-sqlite3, pg, JSON); what to fix in ims terms.
   */
  imsCallers: HotFunction[];
  /** Self time by origin: ims code, each package, node internals, GC, native. */
  byOrigin: { origin: string; pct: number }[];
}

const IDLE = new Set(['(idle)', '(program)']);

function where(url: string, line: number): string {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  const short = nm >= 0 ? url.slice(nm + 'node_modules/'.length)
    : url.replace(/^file:\/\//, '').replace(/^.*\/dist\//, 'dist/');
  return `${short}:${line + 1}`;
}

function originOf(fn: string, url: string): string {
  if (fn === '(garbage collector)') return 'gc';
  if (!url) return fn.startsWith('(') ? fn : 'native';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node';
  if (url.includes('/dist/src/')) return 'ims';
  return 'other';
}

/** Self time per function within each window, from a `node --cpu-prof` profile. */
export function analyzeProfile(file: string, windows: Window[], top = 15): WindowProfile[] {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  /** The innermost ims frame on the stack of a sample, if any. */
  const imsFrame = (id: number) => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at)!.callFrame;
      if (frame.url.includes('/dist/src/')) return frame;
    }
    return undefined;
  };
  const times = new Array<number>(profile.samples.length);
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    times[i] = t;
  }
  return windows.map((w) => {
    const self = new Map<string, { fn: string; where: string; us: number }>();
    const origins = new Map<string, number>();
    const callers = new Map<string, { fn: string; where: string; us: number }>();
    let busy = 0;
    let idle = 0;
    for (let i = 0; i < times.length; i++) {
      const at = times[i]!;
      if (at < w.startUs || at > w.endUs) continue;
      const weight = (times[i + 1] ?? at) - at;
      const frame = nodes.get(profile.samples[i]!)!.callFrame;
      const fn = frame.functionName || '(anonymous)';
      if (IDLE.has(fn)) {
        idle += weight;
        continue;
      }
      busy += weight;
      const loc = where(frame.url, frame.lineNumber);
      const key = `${fn}@${loc}`;
      const entry = self.get(key) ?? { fn, where: loc, us: 0 };
      entry.us += weight;
      self.set(key, entry);
      const caller = imsFrame(profile.samples[i]!);
      if (caller) {
        const cfn = caller.functionName || '(anonymous)';
        const cloc = where(caller.url, caller.lineNumber);
        const c = callers.get(`${cfn}@${cloc}`) ?? { fn: cfn, where: cloc, us: 0 };
        c.us += weight;
        callers.set(`${cfn}@${cloc}`, c);
      }
      const origin = originOf(fn, frame.url);
      origins.set(origin, (origins.get(origin) ?? 0) + weight);
    }
    const pct = (us: number) => Math.round((1000 * us) / Math.max(busy, 1)) / 10;
    return {
      label: w.label,
      busyMs: Math.round(busy / 1000),
      idleMs: Math.round(idle / 1000),
      top: [...self.values()].sort((a, b) => b.us - a.us).slice(0, top)
        .map((e) => ({ fn: e.fn, where: e.where, ms: Math.round(e.us / 100) / 10, pct: pct(e.us) })),
      imsCallers: [...callers.values()].sort((a, b) => b.us - a.us).slice(0, 8)
        .map((e) => ({ fn: e.fn, where: e.where, ms: Math.round(e.us / 100) / 10, pct: pct(e.us) })),
      byOrigin: [...origins.entries()].sort((a, b) => b[1] - a[1]).map(([origin, us]) => ({ origin, pct: pct(us) })),
    };
  });
}

/** The profile summary as Markdown: per window, busy time, origins and the hottest functions by self time. */
export function profileMarkdown(title: string, profiles: WindowProfile[]): string {
  const out = [`# ${title}`, '', 'Self time of the ims server process (`node --cpu-prof`, 1 ms sampling) while each '
    + 'scenario ran; percentages are of the busy (non-idle) samples of that scenario.', ''];
  for (const p of profiles) {
    out.push(`## ${p.label}`, '', `busy ${p.busyMs} ms, idle ${p.idleMs} ms; by origin: `
      + p.byOrigin.slice(0, 8).map((o) => `${o.origin} ${o.pct}%`).join(', '), '',
    '| self ms | % | function | where |', '|---:|---:|---|---|');
    for (const f of p.top) out.push(`| ${f.ms} | ${f.pct} | \`${f.fn}\` | ${f.where} |`);
    out.push('', 'Innermost ims function on the stack (its time plus the library and native code under it):', '',
      '| ms | % | ims function | where |', '|---:|---:|---|---|');
    for (const f of p.imsCallers) out.push(`| ${f.ms} | ${f.pct} | \`${f.fn}\` | ${f.where} |`);
    out.push('');
  }
  return out.join('\n');
}
