// Transpiles the browser modules (src/<product>/http/client/*.ts) into dist/ after tsc, with the same function the
// server uses when it runs from src (dist/web/static/browser-modules.js).
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { transpileBrowserModule } from '../dist/web/static/browser-modules.js';

const source = 'src';
const target = 'dist';

async function walk(directory) {
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) await walk(path);
    else if (/\/http\/client\//.test(path.split('\\').join('/')) && name.endsWith('.ts') && !name.endsWith('.test.ts')) {
      const destination = join(target, relative(source, path)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(destination), { recursive: true });
      writeFileSync(destination, await transpileBrowserModule(readFileSync(path, 'utf8'), name));
    }
  }
}

await walk(source);
