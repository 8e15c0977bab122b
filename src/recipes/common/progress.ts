/**
 * Training progress on stderr: a cli-progress bar (epoch, step, loss, throughput, ETA) when
 * stderr is a terminal, plain periodic lines otherwise (CI logs, pipes), nothing when quiet.
 */
import cliProgress from 'cli-progress';

export interface ProgressOptions {
  /** Optimizer steps in the whole run. */
  totalSteps: number;
  epochs: number;
  /** Examples per step, for the throughput. */
  batchSize: number;
  /** Default: process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Force bar (true) or lines (false); default: whether the stream is a TTY. */
  tty?: boolean;
  /** Minimum time between plain lines (default 10 s; epoch ends always print). */
  intervalMs?: number;
  quiet?: boolean;
  /** Prefix of plain lines, e.g. "fold 2/3". */
  label?: string;
  /** Throughput unit (default "ex/s": examples per second). */
  unit?: string;
}

/** What one step reports. */
export interface StepInfo {
  epoch: number;
  step: number;
  loss: number;
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A progress display; call `step` per optimizer step, `epochEnd` per epoch, `stop` at the end. */
export class TrainProgress {
  private readonly o: Required<Omit<ProgressOptions, 'stream' | 'label' | 'unit'>> & { label: string; unit: string };
  private readonly stream: NodeJS.WriteStream;
  private bar: cliProgress.SingleBar | null = null;
  private t0 = 0;
  private firstStep = 0;
  private lastLine = 0;
  private ema: number | null = null;

  constructor(opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.o = {
      totalSteps: opts.totalSteps, epochs: opts.epochs, batchSize: opts.batchSize,
      tty: opts.tty ?? !!this.stream.isTTY, intervalMs: opts.intervalMs ?? 10_000, quiet: opts.quiet ?? false, label: opts.label ?? '', unit: opts.unit ?? 'ex/s',
    };
  }

  /** Begin (or continue from `step`, when resuming). */
  start(step = 0): void {
    this.t0 = performance.now();
    this.firstStep = step;
    this.lastLine = this.t0;
    if (this.o.quiet || !this.o.tty) return;
    this.bar = new cliProgress.SingleBar({
      stream: this.stream,
      format: `${this.o.label ? `${this.o.label} ` : ''}epoch {epoch}/{epochs} |{bar}| step {value}/{total} | loss {loss} | {rate} ${this.o.unit} | ETA {eta_formatted}`,
      barsize: 24,
      hideCursor: true,
      etaBuffer: 50,
      fps: 8,
      clearOnComplete: false,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(this.o.totalSteps, step, { epoch: 1, epochs: this.o.epochs, loss: '-', rate: '-' });
  }

  private rate(step: number): number {
    const dt = (performance.now() - this.t0) / 1000;
    return dt > 0 ? ((step - this.firstStep) * this.o.batchSize) / dt : 0;
  }

  private line(s: StepInfo, tag = ''): string {
    const rate = this.rate(s.step);
    const eta = rate > 0 ? ((this.o.totalSteps - s.step) * this.o.batchSize) / rate : NaN;
    const loss = this.ema === null ? '-' : this.ema.toPrecision(4);
    return `${this.o.label ? `${this.o.label} ` : ''}epoch ${s.epoch + 1}/${this.o.epochs} step ${s.step}/${this.o.totalSteps} loss ${loss} ${rate >= 10 ? Math.round(rate) : rate.toFixed(2)} ${this.o.unit} ETA ${fmtDuration(eta)}${tag}`;
  }

  step(s: StepInfo): void {
    this.ema = this.ema === null || !Number.isFinite(this.ema) ? s.loss : 0.9 * this.ema + 0.1 * s.loss;
    if (this.o.quiet) return;
    if (this.bar) {
      this.bar.update(s.step, { epoch: s.epoch + 1, loss: this.ema.toPrecision(4), rate: Math.round(this.rate(s.step)) });
      return;
    }
    const now = performance.now();
    if (now - this.lastLine >= this.o.intervalMs) {
      this.lastLine = now;
      this.stream.write(`${this.line(s)}\n`);
    }
  }

  /** An epoch finished (always printed as a line). */
  epochEnd(s: StepInfo & { trainLoss: number; valLoss: number | null; label?: string }): void {
    if (this.o.quiet) return;
    const label = s.label ?? this.o.label;
    const msg = `${label ? `${label} ` : ''}epoch ${s.epoch + 1}/${this.o.epochs} done: train loss ${s.trainLoss.toPrecision(4)}${s.valLoss === null ? '' : `, val loss ${s.valLoss.toPrecision(4)}`}`;
    if (this.bar) {
      // cli-progress redraws on its own line; print above it.
      this.stream.write(`\r\x1b[2K${msg}\n`);
      this.bar.render();
    } else {
      this.lastLine = performance.now();
      this.stream.write(s.label ? `${msg}\n` : `${this.line(s)} | ${msg}\n`);
    }
  }

  /** A message between bar updates. */
  log(msg: string): void {
    if (this.o.quiet) return;
    this.stream.write(this.bar ? `\r\x1b[2K${msg}\n` : `${msg}\n`);
    this.bar?.render();
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
