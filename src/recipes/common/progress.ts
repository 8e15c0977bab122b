/**
 * Training progress on stderr for a whole job (folds × members × epochs).
 *
 * In a terminal: one live status line at the bottom (the bar: steps within the epoch, loss,
 * throughput, the job's share done and its ETA), with log lines (epoch summaries, "fold 2/10
 * member 3/3", early stopping) printed ABOVE it: each log clears the bar line, writes the log
 * with a newline, and redraws the bar below. The bar is cut to the terminal width so it never
 * wraps, which keeps "clear this line" exact; `stop` clears it, so whatever is printed next
 * (the results) starts on a clean line. The cursor is never hidden: a synchronous recipe cannot
 * catch Ctrl-C, and a process killed with the cursor hidden leaves the user's terminal without one.
 *
 * Elsewhere (pipes, CI logs): the same log lines, plus a status line every `intervalMs`, with no
 * control characters. With `quiet`: nothing.
 *
 * Own renderer rather than cli-progress: cli-progress saves the cursor position when its bar
 * starts and restores it when it stops (DECSC/DECRC), so everything printed above the bar in
 * between is overwritten by what comes after; it has no log-above API. log-update would work but
 * redraws a whole multi-line frame; one truncated line needs only `\r` + erase-line.
 */

/** The shape of the job, for the ETA. */
export interface JobPlan {
  folds: number;
  /** Networks trained per fold (an ensemble). */
  members: number;
  /** Most epochs per network (early stopping may end sooner). */
  epochs: number;
  /** Examples per step, for the throughput. */
  batchSize: number;
}

export interface ProgressOptions {
  /** Default: process.stderr. */
  stream?: NodeJS.WriteStream | undefined;
  /** Live bar (true) or plain lines (false); default: whether the stream is a TTY. */
  tty?: boolean | undefined;
  /** Minimum time between plain status lines (default 10 s). */
  intervalMs?: number;
  quiet?: boolean;
  /** Throughput unit (default "ex/s": examples per second). */
  unit?: string;
}

const CLEAR_LINE = '\r\x1b[2K';
const REDRAW_MS = 100;

/** "3m05s"-style duration; "?" when unknown. */
export function fmtDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Where the job is: which network, which epoch, how far into it. */
interface Position {
  fold: number;
  member: number;
  epoch: number;
  /** Steps done in this epoch. */
  inEpoch: number;
  stepsPerEpoch: number;
}

/** A progress display for one training job; see the module comment. */
export class TrainProgress {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly quiet: boolean;
  private readonly intervalMs: number;
  private readonly unit: string;
  private readonly plan: JobPlan;
  private pos: Position = { fold: 0, member: 0, epoch: 0, inEpoch: 0, stepsPerEpoch: 1 };
  private t0 = 0;
  private steps = 0;
  private finishedEpochs: number[] = [];
  private loss: number | null = null;
  private barShown = false;
  private lastDraw = 0;
  private lastLine = 0;

  constructor(plan: JobPlan, opts: ProgressOptions = {}) {
    this.plan = plan;
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? !!this.stream.isTTY;
    this.quiet = opts.quiet ?? false;
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.unit = opts.unit ?? 'ex/s';
  }

  /** "fold 2/10 member 3/3 " (only the parts the job has more than one of). */
  private prefix(): string {
    const { folds, members } = this.plan;
    return `${folds > 1 ? `fold ${this.pos.fold + 1}/${folds} ` : ''}${members > 1 ? `member ${this.pos.member + 1}/${members} ` : ''}`;
  }

  /** A network starts training (at `epoch` when resuming); says which once. */
  member(m: { fold: number; member: number; stepsPerEpoch: number; epoch?: number }): void {
    this.pos = { fold: m.fold, member: m.member, epoch: m.epoch ?? 0, inEpoch: 0, stepsPerEpoch: Math.max(1, m.stepsPerEpoch) };
    this.loss = null;
    if (this.t0 === 0) this.t0 = performance.now();
    const p = this.prefix().trimEnd();
    if (p) this.log(p);
    else this.draw(true);
  }

  /** One optimizer step: `inEpoch` steps of the epoch are done. */
  step(s: { epoch: number; inEpoch: number; loss: number }): void {
    this.pos.epoch = s.epoch;
    this.pos.inEpoch = s.inEpoch;
    this.steps += 1;
    if (Number.isFinite(s.loss)) this.loss = this.loss === null ? s.loss : 0.9 * this.loss + 0.1 * s.loss;
    if (this.quiet) return;
    const now = performance.now();
    if (this.tty) this.draw(false);
    else if (now - this.lastLine >= this.intervalMs) {
      this.lastLine = now;
      this.stream.write(`${this.status()}\n`);
    }
  }

  /** An epoch finished: one summary line. */
  epochEnd(e: { epoch: number; trainLoss: number; valLoss: number | null; extra?: string }): void {
    this.pos = { ...this.pos, epoch: e.epoch + 1, inEpoch: 0 };
    const val = e.valLoss === null ? '' : `, val loss ${e.valLoss.toPrecision(4)}`;
    this.log(`${this.prefix()}epoch ${e.epoch + 1}/${this.plan.epochs} done: train loss ${e.trainLoss.toPrecision(4)}${val}${e.extra ? `, ${e.extra}` : ''}`);
  }

  /** A network finished: says whether early stopping ended it and which epoch's weights it keeps. */
  memberEnd(m: { epochsRun: number; stoppedEarly: boolean; bestEpoch: number | null; patience: number }): void {
    this.finishedEpochs.push(m.epochsRun);
    const p = this.prefix();
    if (m.stoppedEarly) this.log(`${p}early stopping at epoch ${m.epochsRun} (no better validation loss for ${m.patience} epoch${m.patience === 1 ? '' : 's'})`);
    if (m.bestEpoch !== null) this.log(`${p}restored best epoch ${m.bestEpoch + 1}`);
  }

  /** A message above the bar (or a plain line). */
  log(msg: string): void {
    if (this.quiet) return;
    if (!this.tty) {
      this.stream.write(`${msg}\n`);
      return;
    }
    this.stream.write(`${this.barShown ? CLEAR_LINE : ''}${msg}\n`);
    this.barShown = false;
    this.draw(true);
  }

  /** Clear the bar; nothing is drawn afterwards. Safe to call twice. */
  stop(): void {
    if (this.barShown) this.stream.write(CLEAR_LINE);
    this.barShown = false;
    this.lastDraw = -1;
  }

  /** Seconds per step so far (validation time included), and the steps the job still needs. */
  private eta(): { done: number; left: number; seconds: number } {
    const { folds, members, epochs } = this.plan;
    const { fold, member, epoch, inEpoch, stepsPerEpoch } = this.pos;
    // Networks stopped early predict the later ones: expect their mean epoch count.
    const f = this.finishedEpochs;
    const expected = f.length ? Math.min(epochs, f.reduce((a, b) => a + b, 0) / f.length) : epochs;
    const later = (folds - fold - 1) * members + (members - member - 1);
    const current = Math.max(expected, epoch + (inEpoch > 0 ? 1 : 0));
    const left = Math.max(current * stepsPerEpoch - (epoch * stepsPerEpoch + inEpoch), 0) + later * expected * stepsPerEpoch;
    const secPerStep = this.steps ? (performance.now() - this.t0) / 1000 / this.steps : NaN;
    return { done: this.steps, left, seconds: left * secPerStep };
  }

  private rate(): string {
    const dt = (performance.now() - this.t0) / 1000;
    if (!this.steps || !(dt > 0)) return `- ${this.unit}`;
    const r = (this.steps * this.plan.batchSize) / dt;
    return `${r >= 10 ? Math.round(r) : r.toFixed(1)} ${this.unit}`;
  }

  private stats(): string {
    const e = this.eta();
    const pct = e.done + e.left > 0 ? Math.floor((100 * e.done) / (e.done + e.left)) : 0;
    return `loss ${this.loss === null ? '-' : this.loss.toPrecision(4)} | ${this.rate()} | job ${pct}% ETA ${fmtDuration(e.seconds)}`;
  }

  /** The epoch in progress (1-based; the last one between its end and the next network). */
  private shownEpoch(): number {
    return Math.min(this.pos.epoch + 1, this.plan.epochs);
  }

  /** The plain-mode status line. */
  private status(): string {
    const { inEpoch, stepsPerEpoch } = this.pos;
    return `${this.prefix()}epoch ${this.shownEpoch()}/${this.plan.epochs} step ${inEpoch}/${stepsPerEpoch} | ${this.stats()}`;
  }

  /** Redraw the bar (at most every REDRAW_MS unless forced), cut to the terminal width. */
  private draw(force: boolean): void {
    if (this.quiet || !this.tty || this.lastDraw < 0) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const { stepsPerEpoch } = this.pos;
    // Between a network's last epoch and the next network, show that epoch full.
    const inEpoch = this.pos.epoch >= this.plan.epochs ? stepsPerEpoch : this.pos.inEpoch;
    const width = 20;
    const full = Math.min(width, Math.round((width * inEpoch) / stepsPerEpoch));
    const bar = `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
    const line = `${this.prefix()}epoch ${this.shownEpoch()}/${this.plan.epochs} ${bar} ${inEpoch}/${stepsPerEpoch} | ${this.stats()}`;
    const cols = Math.max(20, (this.stream.columns || 80) - 1);
    this.stream.write(`${CLEAR_LINE}${[...line].slice(0, cols).join('')}`);
    this.barShown = true;
  }
}
