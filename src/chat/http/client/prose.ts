/**
 * The light markdown of the server's `Prose` (`http/pages/format.tsx`), for text that arrives live: paragraphs,
 * `>` quotes, `**bold**`, `*italic*`, `_italic_`. Text always goes in through textContent.
 */

function inline(parent: HTMLElement, text: string): void {
  for (const part of text.split(/(\*\*[^*]+\*\*|\*[^*]+\*|_[^_\s][^_]*_)/g)) {
    if (!part) continue;
    let node: Node;
    if (part.length > 4 && part.startsWith('**') && part.endsWith('**')) {
      node = document.createElement('strong');
      node.textContent = part.slice(2, -2);
    } else if (part.length > 2 && ((part.startsWith('*') && part.endsWith('*')) || (part.startsWith('_') && part.endsWith('_')))) {
      node = document.createElement('em');
      node.textContent = part.slice(1, -1);
    } else node = document.createTextNode(part);
    parent.appendChild(node);
  }
}

/** Replaces the element's content with the text rendered as prose. */
export function prose(element: Element, text: string): void {
  element.textContent = '';
  for (const paragraph of text.replace(/\r\n?/g, '\n').split(/\n\s*\n/)) {
    let kind = '';
    let target: HTMLElement | undefined;
    for (const line of paragraph.split('\n')) {
      if (!line.trim()) continue;
      const quoted = /^\s*>/.test(line);
      if (!target || (quoted ? 'quote' : 'p') !== kind) {
        kind = quoted ? 'quote' : 'p';
        target = document.createElement('p');
        if (quoted) {
          const quote = document.createElement('blockquote');
          quote.appendChild(target);
          element.appendChild(quote);
        } else element.appendChild(target);
      } else target.appendChild(document.createElement('br'));
      inline(target, quoted ? line.replace(/^\s*>\s?/, '') : line.trim());
    }
  }
}

/** The same texts as `replyErrorText` in format.tsx. */
export function errorText(error: string | undefined): string {
  const code = String(error || '').split(':')[0];
  if (code === 'llm_auth') return 'The model backend refused the API key (401/403). Check [llm] api_key or LLM_API_KEY, then retry.';
  if (code === 'llm_rate_limited') return 'The model backend is rate limiting (429). Wait a moment, then retry.';
  if (code === 'llm_unavailable') return 'The model backend failed (5xx or unreachable). Retry in a moment.';
  if (code === 'llm_timeout') return 'The model backend timed out. Retry in a moment.';
  return `Reply failed: ${error || 'unknown error'}`;
}
