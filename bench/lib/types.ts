/** What every benchmark returns to the runner, and what lands in bench/results/<name>.json. */

export interface Quantity {
  value: number;
  unit: string;
}

export interface Target {
  /** What is compared, e.g. `overhead p50 < 2 ms`. */
  text: string;
  /** The measured value the target is about (may differ from the row's figure, e.g. an overhead). */
  measured: number;
  met: boolean;
}

export interface ResultRow {
  /** What was measured, e.g. `sqlite: append, batches of 100`. */
  case: string;
  figure: Quantity;
  /** The reference measured in the same run. */
  reference: Quantity & { label: string };
  /** figure / reference unless `ratioNote` says otherwise. */
  ratio: number;
  /** How to read the ratio, e.g. `x single appends` or `of the backend's maximum`. */
  ratioNote: string;
  target?: Target;
  details?: Record<string, unknown>;
}

export interface BenchContext {
  quick: boolean;
  /** Progress lines while a benchmark runs. */
  log(line: string): void;
}

export interface BenchmarkOutput {
  /** Sizes, counts and profiles used, so the figure can be reproduced. */
  parameters: Record<string, unknown>;
  rows: ResultRow[];
  notes: string[];
}

export interface Benchmark {
  name: string;
  title: string;
  /** One sentence: what the figures are compared with. */
  reference: string;
  run(context: BenchContext): Promise<BenchmarkOutput>;
}

export function row(
  name: string,
  figure: Quantity,
  reference: Quantity & { label: string },
  ratioNote: string,
  extra: { target?: Target; details?: Record<string, unknown>; ratio?: number } = {},
): ResultRow {
  const ratio = extra.ratio ?? (reference.value === 0 ? Number.NaN : figure.value / reference.value);
  return {
    case: name,
    figure,
    reference,
    ratio,
    ratioNote,
    ...(extra.target ? { target: extra.target } : {}),
    ...(extra.details ? { details: extra.details } : {}),
  };
}
