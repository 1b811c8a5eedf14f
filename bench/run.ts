/**
 * The benchmark runner: `npm run bench [-- --quick] [-- --only NAME[,NAME]] [-- --note TEXT]`.
 * Runs each benchmark, prints its rows, then one table of all of them, and writes `bench/results/<name>.json` with
 * the machine facts, the figures, the reference each was compared with in the same run, and the ratio. A full run
 * (no --only) also writes `bench/results/summary.md`, the table for bench/README.md.
 * Benchmarks are measurements, never assertions: a missed target is reported, not failed. A benchmark that throws is.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { apiReadsBenchmark } from './benchmarks/api-reads.js';
import { chatTurnBenchmark } from './benchmarks/chat-turn.js';
import { clusterBenchmark } from './benchmarks/cluster.js';
import { eventStoreBenchmark } from './benchmarks/event-store.js';
import { llmGatewayBenchmark } from './benchmarks/llm-gateway.js';
import { sseFanoutBenchmark } from './benchmarks/sse-fanout.js';
import { tipsBenchmark } from './benchmarks/tips.js';
import { villageRenderBenchmark } from './benchmarks/village-render.js';
import { villageSimBenchmark } from './benchmarks/village-sim.js';
import { type MachineFacts, machineFacts } from './lib/machine.js';
import { formatJson } from './lib/measure.js';
import type { Benchmark, BenchmarkOutput, ResultRow } from './lib/types.js';

/** In run order. */
export const benchmarks: Benchmark[] = [
  eventStoreBenchmark,
  villageSimBenchmark,
  llmGatewayBenchmark,
  sseFanoutBenchmark,
  villageRenderBenchmark,
  chatTurnBenchmark,
  tipsBenchmark,
  apiReadsBenchmark,
  clusterBenchmark,
];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    note: { type: 'string' },
    list: { type: 'boolean', default: false },
  },
});

if (values.list) {
  for (const benchmark of benchmarks) console.log(`${benchmark.name.padEnd(14)} ${benchmark.title}`);
  process.exit(0);
}

const wanted = (values.only ?? [])
  .flatMap((value) => value.split(','))
  .map((value) => value.trim())
  .filter(Boolean);
const unknown = wanted.filter((name) => !benchmarks.some((benchmark) => benchmark.name === name));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${benchmarks.map((benchmark) => benchmark.name).join(', ')}`);
  process.exit(2);
}
const selected = wanted.length === 0 ? benchmarks : benchmarks.filter((benchmark) => wanted.includes(benchmark.name));
const quick = values.quick ?? false;
const mode = quick ? 'quick' : 'full';
const resultsDirectory = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(resultsDirectory, { recursive: true });

const machine = machineFacts();
const runStarted = performance.now();
console.log(
  `koivulahti bench (${mode}) — ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}, ` +
    `load ${machine.loadAverage.join(' ')}${machine.commit ? `, commit ${machine.commit}${machine.dirty ? '+dirty' : ''}` : ''}`,
);
if (values.note) console.log(`note: ${values.note}`);

interface Finished {
  benchmark: Benchmark;
  output?: BenchmarkOutput;
  error?: string;
  seconds: number;
}
const finished: Finished[] = [];

for (const benchmark of selected) {
  console.log(`\n== ${benchmark.name}: ${benchmark.title}`);
  console.log(`   reference: ${benchmark.reference}`);
  const started = performance.now();
  const loadBefore = loadavg();
  try {
    const output = await benchmark.run({ quick, log: (line) => console.log(`   · ${line}`) });
    const seconds = (performance.now() - started) / 1000;
    finished.push({ benchmark, output, seconds });
    for (const line of formatRows(output.rows)) console.log(`   ${line}`);
    for (const note of output.notes) console.log(`   note: ${note}`);
    writeResult(benchmark, output, seconds, machine, loadBefore);
    console.log(`   (${seconds.toFixed(1)} s, bench/results/${benchmark.name}.json)`);
  } catch (error) {
    const seconds = (performance.now() - started) / 1000;
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    finished.push({ benchmark, error: message, seconds });
    console.error(`   FAILED after ${seconds.toFixed(1)} s: ${message}`);
  }
}

const totalSeconds = (performance.now() - runStarted) / 1000;
const table = markdownTable(finished);
console.log(`\n${table}`);
console.log(
  `\n${mode} run: ${totalSeconds.toFixed(0)} s; load average now ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}`,
);
if (wanted.length === 0 && finished.every((entry) => entry.output)) {
  const header =
    `${mode} run, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${machine.cpuModel}, ${machine.cores} cores, ` +
    `${machine.memoryGiB} GiB, node ${machine.node}, load average ${machine.loadAverage.join(' ')} at start` +
    `${values.note ? ` (${values.note})` : ''}; ${totalSeconds.toFixed(0)} s.`;
  writeFileSync(join(resultsDirectory, 'summary.md'), `${header}\n\n${table}\n`);
}
process.exit(finished.some((entry) => entry.error) ? 1 : 0);

function writeResult(benchmark: Benchmark, output: BenchmarkOutput, seconds: number, facts: MachineFacts, loadBefore: number[]): void {
  const result = {
    benchmark: benchmark.name,
    title: benchmark.title,
    reference: benchmark.reference,
    mode,
    date: new Date().toISOString(),
    durationSeconds: Number(seconds.toFixed(1)),
    machine: {
      ...facts,
      loadAverage: loadBefore.map((value) => Number(value.toFixed(2))),
      loadAverageAfter: loadavg().map((value) => Number(value.toFixed(2))),
      shared:
        loadBefore[0] !== undefined && loadBefore[0] > facts.cores * 0.5
          ? 'the machine was busy with other work (1-minute load above half the cores); figures are pessimistic'
          : undefined,
    },
    note: values.note,
    parameters: output.parameters,
    rows: output.rows,
    notes: output.notes,
  };
  writeFileSync(join(resultsDirectory, `${benchmark.name}.json`), `${formatJson(result)}\n`);
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1_000) return Math.round(value).toLocaleString('en-US');
  return String(Number(value.toPrecision(3)));
}

function formatRatio(entry: ResultRow): string {
  const ratio = entry.ratio;
  const text = ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(2);
  return entry.ratioNote.startsWith('of ')
    ? `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)} % ${entry.ratioNote}`
    : `${text} ${entry.ratioNote}`;
}

function formatTarget(entry: ResultRow): string {
  if (!entry.target) return '';
  return `${entry.target.text}: ${formatNumber(entry.target.measured)} ${entry.target.met ? 'met' : 'MISSED'}`;
}

function formatRows(rows: readonly ResultRow[]): string[] {
  return rows.map(
    (entry) =>
      `${entry.case.padEnd(58)} ${`${formatNumber(entry.figure.value)} ${entry.figure.unit}`.padStart(22)}  vs ${entry.reference.label} ` +
      `${formatNumber(entry.reference.value)} ${entry.reference.unit} -> ${formatRatio(entry)}${entry.target ? `  [${formatTarget(entry)}]` : ''}`,
  );
}

function markdownTable(entries: readonly Finished[]): string {
  const lines = ['| benchmark | case | figure | reference (same run) | ratio | target |', '|---|---|---:|---|---:|---|'];
  for (const entry of entries) {
    if (!entry.output) {
      lines.push(`| ${entry.benchmark.name} | FAILED | | | | |`);
      continue;
    }
    for (const result of entry.output.rows)
      lines.push(
        `| ${entry.benchmark.name} | ${result.case} | ${formatNumber(result.figure.value)} ${result.figure.unit} | ` +
          `${result.reference.label}: ${formatNumber(result.reference.value)} ${result.reference.unit} | ${formatRatio(result)} | ${formatTarget(result)} |`,
      );
  }
  return lines.join('\n');
}
