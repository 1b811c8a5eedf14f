// Adds lockfile entries for platform-specific optional dependencies that the registry proxy of this workplace does not
// serve (it answers 404 for binaries of other platforms, so npm leaves them out of package-lock.json, and `npm ci` then
// refuses the lock as "out of sync"). An entry without `resolved`/`integrity` is fetched normally where the registry has
// it and skipped as a failed optional dependency where it does not. Run after `npm install`: `node scripts/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = process.argv[2] ?? 'package-lock.json';
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
let added = 0;

for (const [location, entry] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ''}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    const version = /^\d+\.\d+\.\d+(-[\w.]+)?$/.test(range) ? range : undefined;
    if (!version) {
      console.warn(`skipping ${name}@${range} (needed by ${location || 'the root'}): not an exact version`);
      continue;
    }
    packages[hoisted] = { version, optional: true, ...(entry.dev ? { dev: true } : {}) };
    added += 1;
  }
}

const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entr${added === 1 ? 'y' : 'ies'}`);
