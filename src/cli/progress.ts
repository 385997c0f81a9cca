/**
 * Live progress on stderr: a cli-progress bar on a terminal, else one plain line per change, at most one a
 * second (and always the last), so a log of a long job stays short.
 */

export type Unit = 'pairs' | 'bytes';

export interface Progress {
  /** What is done so far, of `total` when known. */
  update(done: number, total?: number): void;
  /** Shows the last state and ends the display. */
  stop(): void;
}

const LINE_INTERVAL_MS = 1000;

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

const amount = (unit: Unit, n: number) => (unit === 'bytes' ? bytes(n) : `${n}`);

function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Done, total, percent, rate and ETA as words: `120/500 pairs (24%), 40 pairs/s, ETA 10s`. */
export function describe(unit: Unit, done: number, total: number | undefined, perSecond: number): string {
  const rate = unit === 'bytes' ? `${bytes(perSecond)}/s` : `${Math.round(perSecond)} pairs/s`;
  if (total === undefined) return `${amount(unit, done)}${unit === 'pairs' ? ' pairs' : ''}, ${rate}`;
  const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
  const eta = perSecond > 0 && done < total ? `, ETA ${duration((total - done) / perSecond)}` : '';
  return `${amount(unit, done)}/${amount(unit, total)}${unit === 'pairs' ? ' pairs' : ''} (${pct}%), ${rate}${eta}`;
}

/** The rate since the display began at 0 (`fromZero`), else since the first update. */
function rateMeter(fromZero: boolean) {
  let first = fromZero ? { at: Date.now(), done: 0 } : undefined;
  return (done: number): number => {
    const now = Date.now();
    first ??= { at: now, done };
    const seconds = (now - first.at) / 1000;
    return seconds > 0 ? (done - first.done) / seconds : 0;
  };
}

/** Plain lines on `stream`: one per change of the counts, at most one a second, and the last state at stop. */
export function plainLines(label: string, unit: Unit, stream: { write(text: string): unknown }, fromZero: boolean)
  : Progress {
  const rate = rateMeter(fromZero);
  let shown = '';
  let shownAt = -Infinity;
  let last = '';
  return {
    update(done, total) {
      last = `${label}: ${describe(unit, done, total, rate(done))}\n`;
      const changed = last.split(',')[0] !== shown.split(',')[0];
      if (changed && Date.now() - shownAt >= LINE_INTERVAL_MS) {
        stream.write(last);
        shown = last;
        shownAt = Date.now();
      }
    },
    stop() {
      if (last !== '' && last.split(',')[0] !== shown.split(',')[0]) stream.write(last);
    },
  };
}

async function bar(label: string, unit: Unit, stream: NodeJS.WriteStream, fromZero: boolean): Promise<Progress> {
  const { SingleBar } = await import('cli-progress');
  const rate = rateMeter(fromZero);
  let b: InstanceType<typeof SingleBar> | undefined;
  return {
    update(done, total) {
      const text = describe(unit, done, total, rate(done));
      if (b === undefined) {
        // No bar for work of unknown size: the counts and rate alone.
        b = new SingleBar({ stream, format: total === undefined ? `${label} {text}` : `${label} {bar} {text}`,
          hideCursor: true, clearOnComplete: false, barsize: 30, fps: 10 });
        b.start(total ?? 0, done, { text });
      } else b.update(done, { text });
      if (total !== undefined) b.setTotal(total);
    },
    stop() {
      b?.stop();
    },
  };
}

/**
 * A display of work under `label` on stderr (none unless `enabled`); `fromZero`: the work starts now, so the
 * rate counts from now (else from the first update: a job already under way).
 */
export async function progress(label: string, unit: Unit, opts: { enabled: boolean; fromZero: boolean })
  : Promise<Progress> {
  if (!opts.enabled) return { update() {}, stop() {} };
  return process.stderr.isTTY ? bar(label, unit, process.stderr, opts.fromZero)
    : plainLines(label, unit, process.stderr, opts.fromZero);
}
