/**
 * Reads a catalog directory (one JSON file per part), validates every file and the references between them, and
 * computes the catalog hash that identifies a run. Every problem names the file, the JSON path and the reason.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../../core/errors.js';
import { checkCatalogReferences } from '../domain/catalog-references.js';
import {
  type Catalog,
  type CatalogIssue,
  type CatalogPart,
  catalogFiles,
  formatIssue,
  parseCatalogPart,
} from '../domain/catalog-schema.js';

/** The Koivulahti catalog shipped with the program (copied to dist/ by scripts/copy-assets.mjs). */
export const defaultCatalogDirectory = fileURLToPath(new URL('../domain/catalog/koivulahti/', import.meta.url));

export class CatalogError extends ValidationError {
  readonly issues: CatalogIssue[];
  constructor(directory: string, issues: CatalogIssue[]) {
    const shown = issues.slice(0, 20).map(formatIssue);
    const more = issues.length > shown.length ? `\n  ... and ${issues.length - shown.length} more` : '';
    super(`catalog ${directory} is invalid:\n  ${shown.join('\n  ')}${more}`, { issues });
    this.name = 'CatalogError';
    this.issues = issues;
  }
}

export interface LoadedCatalog {
  catalog: Catalog;
  /** sha256 of the validated catalog (canonical JSON), hex. */
  hash: string;
  directory: string;
}

export function loadCatalog(directory: string = defaultCatalogDirectory): LoadedCatalog {
  const issues: CatalogIssue[] = [];
  const parts: Partial<Record<CatalogPart, unknown>> = {};
  for (const [part, file] of Object.entries(catalogFiles) as [CatalogPart, string][]) {
    let text: string;
    try {
      text = readFileSync(join(directory, file), 'utf8');
    } catch (error) {
      issues.push({ file, path: '$', message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      issues.push({ file, path: '$', message: `not valid JSON: ${(error as Error).message}` });
      continue;
    }
    const parsed = parseCatalogPart(part, raw);
    if (parsed.value === undefined) issues.push(...parsed.issues);
    else parts[part] = parsed.value;
  }
  if (issues.length > 0) throw new CatalogError(directory, issues);
  return validateCatalog(parts as unknown as Catalog, directory);
}

/** Checks the references of an assembled catalog (e.g. a generated one) and hashes it. */
export function validateCatalog(catalog: Catalog, directory = '(in memory)'): LoadedCatalog {
  const issues = checkCatalogReferences(catalog);
  if (issues.length > 0) throw new CatalogError(directory, issues);
  return { catalog, hash: hashCatalog(catalog), directory };
}

export function hashCatalog(catalog: Catalog): string {
  return createHash('sha256').update(JSON.stringify(catalog)).digest('hex');
}
