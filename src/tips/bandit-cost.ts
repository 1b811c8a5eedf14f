/**
 * Measures what the bandit costs: one Sherman-Morrison update, scoring one candidate, a decision over K candidates,
 * and rebuilding the model from N logged rewards (what a cold process does). Not a test: `npx tsx src/tips/bandit-cost.ts`.
 */
import { performance } from 'node:perf_hooks';
import { Rng } from '../core/rng.js';
import { policyDimension } from './domain/features.js';
import { chooseArm, LinUcbModel } from './domain/linucb.js';

const settings = { alpha: 0.5, lambda: 1, epsilon: 0.1 };
const rng = Rng.fromSeed(7);
const vector = (d: number) => Array.from({ length: d }, () => (rng.chance(0.3) ? rng.float() : 0));

function time(label: string, repeats: number, run: (index: number) => void): number {
  for (let index = 0; index < Math.min(50, repeats); index++) run(index); // warm up
  const start = performance.now();
  for (let index = 0; index < repeats; index++) run(index);
  const microseconds = ((performance.now() - start) * 1_000) / repeats;
  console.log(`${label.padEnd(52)} ${microseconds.toFixed(1).padStart(9)} µs`);
  return microseconds;
}

for (const d of [policyDimension, 64, 400]) {
  console.log(`\nd = ${d}${d === policyDimension ? ' (the tips policy: 16 context x 11 arm features)' : ''}`);
  const model = new LinUcbModel(d, settings);
  const samples = Array.from({ length: 256 }, () => vector(d));
  time('update (Sherman-Morrison, O(d^2))', 2_000, (index) => model.update(samples[index % samples.length] as number[], rng.float()));
  time('score one candidate (theta cached, O(d^2))', 2_000, (index) => model.score(samples[index % samples.length] as number[]));
  time('decision over K = 8 candidates (incl. theta)', 500, (index) => {
    model.update(samples[index % samples.length] as number[], 0.5); // invalidates theta, as a new reward does
    chooseArm(model, `bench-${index}`, samples.slice(0, 8));
  });
  const updates = samples.map((features) => ({ features, reward: rng.float() }));
  const thousand = Array.from({ length: 1_000 }, (_, index) => updates[index % updates.length] as (typeof updates)[number]);
  const rebuild = time('rebuild from 1,000 logged rewards', 5, () => LinUcbModel.fromUpdates(d, settings, thousand));
  console.log(
    `${'memory of A^-1'.padEnd(52)} ${((d * d * 8) / 1024).toFixed(0).padStart(9)} KiB  (rebuild ${(rebuild / 1_000).toFixed(1)} ms)`,
  );
}
