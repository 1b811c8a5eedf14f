import { describe, expect, it } from 'vitest';
import { Layout } from './layout.js';
import { renderPage } from './render.js';

describe('renderPage and Layout', () => {
  it('renders a full document with the assets and the navigation', () => {
    const html = renderPage(
      <Layout title="Chat" active="chat">
        <p>hello</p>
      </Layout>,
    );
    expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true);
    expect(html).toContain('<title>Chat · Koivulahti</title>');
    for (const asset of ['href="/static/app.css"', 'src="/static/htmx.min.js"', 'src="/static/htmx-ext-sse.js"'])
      expect(html).toContain(asset);
    for (const [label, href] of [
      ['Village', '/village'],
      ['Chat', '/chat'],
      ['Tips', '/tips'],
      ['Admin', '/admin'],
    ]) {
      expect(html).toMatch(new RegExp(`<a href="${href}"[^>]*>${label}</a>`));
    }
    expect(html).toContain('<main><p>hello</p></main>');
  });

  it('marks only the active section with aria-current', () => {
    const html = renderPage(<Layout title="Tips" active="tips" />);
    expect(html).toContain('<a href="/tips" aria-current="page">Tips</a>');
    expect(html.match(/aria-current/g)).toHaveLength(1);
  });

  it('escapes text in the title and the body', () => {
    const hostile = '<script>alert(1)</script>';
    const html = renderPage(
      <Layout title={hostile}>
        <p>{hostile}</p>
        <a href="/x" title={`"${hostile}`}>
          Profile
        </a>
      </Layout>,
    );
    // preact-render-to-string escapes `&`, `<` and `"`; `>` needs no escaping once every `<` is escaped.
    expect(html).toContain('<title>&lt;script>alert(1)&lt;/script> · Koivulahti</title>');
    expect(html).toContain('<p>&lt;script>alert(1)&lt;/script></p>');
    expect(html).toContain('title="&quot;&lt;script>alert(1)&lt;/script>"');
    expect(html).not.toContain('<script>alert');
    expect(html.match(/<script/g)).toHaveLength(2);
  });
});
