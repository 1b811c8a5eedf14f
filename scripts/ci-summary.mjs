// Reads vitest JSON reports and the checks file of .ci/run (`NAME ok|failed` per line), prints per-suite counts
// (PostgreSQL, NATS, browser, cluster, Node 24, llama-server, local provider) and the closing line.
import { existsSync, readFileSync } from 'node:fs';

const [unitPath, e2ePath, node24Path, checksPath, llamaPath] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
const groups = {
  postgres: [0, 0, 0],
  nats: [0, 0, 0],
  browser: [0, 0, 0],
  cluster: [0, 0, 0],
  node24: [0, 0, 0],
  'llama-server': [0, 0, 0],
  'local-provider': [0, 0, 0],
};
const fileGroups = new Set(['browser', 'cluster', 'node24', 'llama-server', 'local-provider']);

function tally(path, group) {
  if (!path || !existsSync(path)) {
    console.log(`missing report ${path}: counted as one failure`);
    failed += 1;
    return;
  }
  const report = JSON.parse(readFileSync(path, 'utf8'));
  for (const file of report.testResults ?? []) {
    for (const test of file.assertionResults ?? []) {
      const name = [...(test.ancestorTitles ?? []), test.title].join(' ').toLowerCase();
      const index = test.status === 'passed' ? 0 : test.status === 'failed' ? 1 : 2;
      if (index === 0) passed += 1;
      else if (index === 1) failed += 1;
      else skipped += 1;
      // The end-to-end report holds the browser tests and, under test/cluster/, the multi-process cluster tests.
      // The unit report's local-provider tests (node-llama-cpp) are counted on their own, so a skip shows.
      const fileName = file.name ?? '';
      const fileGroup =
        group && fileName.includes('/test/cluster/')
          ? 'cluster'
          : !group && fileName.includes('/src/llm/providers/local-provider')
            ? 'local-provider'
            : group;
      const keys = fileGroup ? [fileGroup] : Object.keys(groups).filter((key) => !fileGroups.has(key) && name.includes(key));
      for (const key of keys) groups[key][index] += 1;
    }
    if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) {
      console.log(`test file failed to run: ${file.name} ${file.message ?? ''}`);
      failed += 1;
    }
  }
}

tally(unitPath);
tally(e2ePath, 'browser');
if (node24Path) tally(node24Path, 'node24');
if (llamaPath) tally(llamaPath, 'llama-server');
for (const [name, [groupPassed, groupFailed, groupSkipped]] of Object.entries(groups)) {
  console.log(`${name} suites: ${groupPassed} passed, ${groupFailed} failed, ${groupSkipped} skipped`);
}
if (checksPath && existsSync(checksPath)) {
  for (const line of readFileSync(checksPath, 'utf8').split('\n').filter(Boolean)) {
    const [name, outcome] = line.split(' ');
    console.log(`check ${name}: ${outcome}`);
    if (outcome === 'ok') passed += 1;
    else failed += 1;
  }
} else if (checksPath) {
  console.log(`missing checks file ${checksPath}: counted as one failure`);
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
