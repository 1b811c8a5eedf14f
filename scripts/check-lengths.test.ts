import { describe, expect, it } from 'vitest';
import { checkSource, isJsxPage } from './check-lengths.mjs';

const body = (lines: number) => Array.from({ length: lines }, (_, index) => `  total += ${index};`).join('\n');

describe('check-lengths', () => {
  it('reports a function over 80 lines by name and line, and leaves one of exactly 80 alone', () => {
    const text = [
      'export function long(): number {',
      '  let total = 0;',
      body(77),
      '  return total;',
      '}',
      'const short = (): number => {',
      '  let total = 0;',
      body(76),
      '  return total;',
      '};',
    ].join('\n');
    const { functions, file } = checkSource('src/example.ts', text);
    expect(functions).toEqual([{ line: 1, name: 'long', lines: 81 }]);
    expect(file).toBeUndefined();
  });

  it('names methods by their class, and counts constructors, accessors and arrow functions', () => {
    const text = [
      'class Service {',
      '  constructor() {',
      body(80),
      '  }',
      '  get value(): number {',
      body(80),
      '    return 1;',
      '  }',
      '}',
      `export const handler = async () => {\n${body(80)}\n};`,
    ].join('\n');
    const names = checkSource('src/service.ts', text).functions.map((finding) => finding.name);
    expect(names).toEqual(['Service.constructor', 'Service.value', 'handler']);
  });

  it('exempts JSX view components in .tsx files but not long non-JSX functions there', () => {
    const markup = Array.from({ length: 90 }, (_, index) => `      <li>${index}</li>`).join('\n');
    const text = [
      'export function List() {',
      `  return (\n    <ul>\n${markup}\n    </ul>\n  );`,
      '}',
      'export function compute(): number {',
      '  let total = 0;',
      body(85),
      '  return total;',
      '}',
    ].join('\n');
    expect(checkSource('src/village/http/view.tsx', text).functions.map((finding) => finding.name)).toEqual(['compute']);
    expect(checkSource('src/village/http/view.ts', text.replace(/<[^>]+>/g, '')).functions.length).toBeGreaterThan(0);
  });

  it('reports a file over 500 lines, except a JSX page', () => {
    const text = `${Array.from({ length: 501 }, (_, index) => `export const value${index} = ${index};`).join('\n')}\n`;
    expect(checkSource('src/chat/services/big.ts', text).file).toEqual({ lines: 501 });
    expect(checkSource('src/chat/http/pages/chat.tsx', text).file).toBeUndefined();
    expect(checkSource('src/village/http/pages.tsx', text).file).toBeUndefined();
    expect(checkSource('src/village/http/routes.tsx', text).file).toEqual({ lines: 501 });
    expect(isJsxPage('src/tips/http/pages/home.ts')).toBe(false);
  });
});
