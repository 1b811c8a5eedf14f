/**
 * Finds code that branches on the SQL dialect, or writes one dialect's SQL, outside src/store and src/messaging.
 * Everything that differs between SQLite and PostgreSQL goes through `database.adapter` (src/store/dialect).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

export interface DialectFinding {
  file: string;
  line: number;
  text: string;
  reason: 'compares-dialect' | 'dialect-only-sql';
}

const dialectNames = new Set(['sqlite', 'postgres', 'postgresql', 'pg']);
/** SQL that only one of the dialects understands. */
const dialectOnlySql =
  /\b(sqlite_master|fts5|bm25\s*\(|to_tsvector|to_tsquery|ts_rank|tsvector|bigserial|autoincrement|pg_[a-z_]+\s*\(|information_schema|pragma\s+\w+|skip\s+locked|current_schema\s*\()/i;
const allowedFolders = ['store', 'messaging'];

function* sourceFiles(directory: string): Generator<string> {
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules') yield* sourceFiles(path);
    } else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) yield path;
  }
}

const isDialectLiteral = (node: ts.Node): boolean =>
  (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && dialectNames.has(node.text);

const comparisons = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);

/** Findings in one file's text. */
export function findDialectBranchesIn(file: string, text: string): DialectFinding[] {
  const source = ts.createSourceFile(
    file,
    text,
    ts.ScriptTarget.Latest,
    true,
    file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const findings: DialectFinding[] = [];
  const report = (node: ts.Node, reason: DialectFinding['reason']) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
    findings.push({ file, line: line + 1, text: (text.split('\n')[line] ?? '').trim(), reason });
  };
  const visit = (node: ts.Node) => {
    if (
      ts.isBinaryExpression(node) &&
      comparisons.has(node.operatorToken.kind) &&
      (isDialectLiteral(node.left) || isDialectLiteral(node.right))
    )
      report(node, 'compares-dialect');
    else if (ts.isCaseClause(node) && isDialectLiteral(node.expression)) report(node, 'compares-dialect');
    else if (
      (ts.isStringLiteral(node) ||
        ts.isNoSubstitutionTemplateLiteral(node) ||
        ts.isTemplateHead(node) ||
        ts.isTemplateMiddle(node) ||
        ts.isTemplateTail(node)) &&
      dialectOnlySql.test(node.text)
    )
      report(node, 'dialect-only-sql');
    ts.forEachChild(node, visit);
  };
  visit(source);
  return findings;
}

/** Findings under `<root>/src`, except in src/store and src/messaging. */
export function findDialectBranches(root: string): DialectFinding[] {
  const findings: DialectFinding[] = [];
  for (const path of sourceFiles(join(root, 'src'))) {
    const file = relative(root, path).split(sep).join('/');
    if (allowedFolders.some((folder) => file.startsWith(`src/${folder}/`))) continue;
    findings.push(...findDialectBranchesIn(file, readFileSync(path, 'utf8')));
  }
  return findings;
}
