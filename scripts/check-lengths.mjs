#!/usr/bin/env node
/**
 * Size limits of the source tree: no function-like node over 80 lines (JSX view components excepted) and no source
 * file over 500 lines (JSX pages excepted). Tests (`*.test.ts(x)`) are not measured.
 *
 *   node scripts/check-lengths.mjs           exits 1 when anything is over
 *   node scripts/check-lengths.mjs --warn    prints the same report, exits 0
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const maxFunctionLines = 80;
export const maxFileLines = 500;

/** A .tsx file under an `http/pages/` folder or named `pages.tsx`. */
export function isJsxPage(fileName) {
  const path = fileName.split(sep).join('/');
  return path.endsWith('.tsx') && (/(^|\/)http\/pages\//.test(path) || /(^|\/)pages\.tsx$/.test(path));
}

function lineOf(source, position) {
  return source.getLineAndCharacterOfPosition(position).line + 1;
}

function isFunctionLike(node) {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

function isJsx(expression) {
  if (!expression) return false;
  if (ts.isParenthesizedExpression(expression)) return isJsx(expression.expression);
  if (ts.isConditionalExpression(expression)) return isJsx(expression.whenTrue) || isJsx(expression.whenFalse);
  if (ts.isBinaryExpression(expression)) return isJsx(expression.left) || isJsx(expression.right);
  return ts.isJsxElement(expression) || ts.isJsxSelfClosingElement(expression) || ts.isJsxFragment(expression);
}

/** True when the function itself (not a nested one) returns JSX. */
function returnsJsx(node) {
  if (!node.body) return false;
  if (!ts.isBlock(node.body)) return isJsx(node.body);
  let found = false;
  const visit = (child) => {
    if (found || isFunctionLike(child) || ts.isClassLike(child)) return;
    if (ts.isReturnStatement(child) && isJsx(child.expression)) {
      found = true;
      return;
    }
    ts.forEachChild(child, visit);
  };
  ts.forEachChild(node.body, visit);
  return found;
}

function propertyName(name) {
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return name.getText();
}

function nameOf(node) {
  const own = node.name ? propertyName(node.name) : undefined;
  const parent = node.parent;
  let name = own;
  if (!name && parent) {
    if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
      name = propertyName(parent.name);
    else if (ts.isCallExpression(parent)) name = `${parent.expression.getText().slice(0, 40)}(callback)`;
    else if (ts.isExportAssignment(parent)) name = 'default';
  }
  if (ts.isConstructorDeclaration(node)) name = 'constructor';
  name ??= '<anonymous>';
  const owner = node.parent && ts.isClassLike(node.parent) ? node.parent.name?.text : undefined;
  return owner ? `${owner}.${name}` : name;
}

/**
 * Measures one file's text. Returns the functions over the limit and, when the file itself is over, `file`.
 * @param {string} fileName
 * @param {string} text
 */
export function checkSource(fileName, text) {
  const tsx = fileName.endsWith('.tsx');
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, tsx ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const functions = [];
  const visit = (node) => {
    if (isFunctionLike(node) && node.body) {
      const start = lineOf(source, node.getStart(source));
      const lines = lineOf(source, node.getEnd()) - start + 1;
      if (lines > maxFunctionLines && !(tsx && returnsJsx(node))) functions.push({ line: start, name: nameOf(node), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  const fileLines = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
  const file = fileLines > maxFileLines && !isJsxPage(fileName) ? { lines: fileLines } : undefined;
  return { functions, file };
}

function sourceFiles(directory) {
  const files = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files.sort();
}

/** Checks every source file under `root`/src; returns the report lines and the number of findings. */
export function checkTree(root) {
  const lines = [];
  let functionCount = 0;
  let fileCount = 0;
  for (const path of sourceFiles(join(root, 'src'))) {
    const name = relative(root, path).split(sep).join('/');
    const { functions, file } = checkSource(name, readFileSync(path, 'utf8'));
    if (file) {
      fileCount += 1;
      lines.push(`${name}:1 file (${file.lines} lines > ${maxFileLines})`);
    }
    for (const finding of functions) {
      functionCount += 1;
      lines.push(`${name}:${finding.line} ${finding.name} (${finding.lines} lines)`);
    }
  }
  lines.push(
    `${functionCount} function(s) over ${maxFunctionLines} lines outside JSX views, ${fileCount} file(s) over ${maxFileLines} lines outside JSX pages`,
  );
  return { lines, count: functionCount + fileCount };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const { lines, count } = checkTree(root);
  for (const line of lines) console.log(line);
  if (count > 0 && !process.argv.includes('--warn')) process.exit(1);
}
