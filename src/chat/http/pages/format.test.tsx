/** Display formatting: light markdown, `*action*` in italics, OOC dimmed; always escaped. */
import { renderToString } from 'preact-render-to-string';
import { describe, expect, it } from 'vitest';
import { Prose, parseProse, Segments } from './format.js';

describe('display formatting', () => {
  it('renders paragraphs, line breaks, blockquotes, bold, italics and *actions*', () => {
    const text = '*Aino smiles.* "Hi."\nShe waits.\n\n> A note **pinned** to the board\n> says _closed_.\n\nDone <now>.';
    expect(renderToString(<Prose text={text} />)).toBe(
      '<p><em>Aino smiles.</em> &quot;Hi.&quot;<br/>She waits.</p>' +
        '<blockquote><p>A note <strong>pinned</strong> to the board<br/>says <em>closed</em>.</p></blockquote>' +
        '<p>Done &lt;now>.</p>',
    );
    expect(parseProse('a\n\n\nb').map((block) => block.kind)).toEqual(['p', 'p']);
  });

  it('escapes markup inside every marker and keeps unmatched markers as text', () => {
    expect(renderToString(<Prose text={'**<script>x</script>** *<b>* 2*3 and snake_case'} />)).toBe(
      '<p><strong>&lt;script>x&lt;/script></strong> <em>&lt;b></em> 2*3 and snake_case</p>',
    );
    expect(renderToString(<Prose text={'one\ntwo'} inline />)).toBe('one two');
  });

  it('shows your turn by segment: speech quoted, actions plain, OOC dimmed in double parentheses', () => {
    const html = renderToString(
      <Segments
        segments={[
          { kind: 'action', text: 'waves' },
          { kind: 'dialogue', text: 'Hi <3' },
          { kind: 'ooc', text: 'be nice' },
        ]}
      />,
    );
    expect(html).toBe(
      '<span class="seg seg-action">waves </span><span class="seg seg-dialogue">“Hi &lt;3” </span><span class="seg seg-ooc">((be nice)) </span>',
    );
  });
});
