// Copies non-TypeScript assets (CSS, catalog JSON) from src/ into dist/ after tsc.
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const source = 'src';
const target = 'dist';
const assetPattern = /\.(css|json|svg|png|txt)$/;

function walk(directory) {
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (assetPattern.test(name)) {
      const destination = join(target, relative(source, path));
      cpSync(path, destination);
    }
  }
}

if (existsSync(source)) walk(source);
