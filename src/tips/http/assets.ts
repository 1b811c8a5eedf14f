/** The tip page's own stylesheet, manifest and icon: a black watch face, not the shell's light pages. */

export const tipsCss = `
:root { color-scheme: dark; --ink: #f2f0ea; --muted: #8d8a84; --line: #2a2926; --accent: #e9c46a; }
* { box-sizing: border-box; }
html, body { margin: 0; min-height: 100%; background: #000; color: var(--ink); }
body { font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--muted); }
a:hover, a:focus-visible { color: var(--ink); }
.face { min-height: 100vh; min-height: 100dvh; display: flex; flex-direction: column; padding: max(1rem, env(safe-area-inset-top)) 1.25rem max(1rem, env(safe-area-inset-bottom)); }
.face-top, .face-bottom { display: flex; justify-content: space-between; align-items: center; font-size: .8rem; color: var(--muted); letter-spacing: .04em; }
.mark { font-weight: 700; letter-spacing: .12em; color: var(--ink); text-decoration: none; }
.face-center { flex: 1; display: flex; align-items: center; justify-content: center; }
.tip { width: 100%; max-width: 34rem; text-align: left; animation: arrive .45s ease-out; }
@keyframes arrive { from { opacity: 0; transform: translateY(.4rem); } to { opacity: 1; transform: none; } }
@media (prefers-reduced-motion: reduce) { .tip { animation: none; } }
.tip-kind { margin: 0 0 .9rem; font-size: .75rem; text-transform: uppercase; letter-spacing: .18em; color: var(--accent); }
.tip-text { margin: 0; font-size: clamp(1.5rem, 5.2vw, 2.3rem); line-height: 1.25; font-weight: 500; letter-spacing: -.01em; overflow-wrap: anywhere; }
.tip-calm .tip-text { color: var(--muted); font-weight: 400; }
.reactions { display: flex; flex-wrap: wrap; gap: .4rem; margin: 2.2rem 0 0; padding: 0; border: 0; }
.reactions button { font: inherit; font-size: .88rem; padding: .55rem .8rem; min-height: 44px; border-radius: 999px; border: 1px solid var(--line); background: transparent; color: var(--ink); cursor: pointer; }
.reactions button.primary { background: var(--ink); color: #000; border-color: var(--ink); font-weight: 600; }
.reactions button:hover, .reactions button:focus-visible { border-color: var(--ink); outline: none; }
.reactions button.primary:hover, .reactions button.primary:focus-visible { background: #fff; }
.why { margin-top: 2rem; color: var(--muted); font-size: .9rem; }
.why summary { cursor: pointer; width: fit-content; list-style: none; text-decoration: underline dotted; text-underline-offset: .25em; }
.why summary::-webkit-details-marker { display: none; }
.why[open] summary { color: var(--ink); }
.why dl { margin: .8rem 0 0; display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1rem; }
.why dt { color: var(--muted); }
.why dd { margin: 0; color: var(--ink); overflow-wrap: anywhere; }
.why ul { margin: 0; padding-left: 1.1rem; }
.htmx-request .reactions button { opacity: .5; }
/* signal entry */
.entry { max-width: 40rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
.entry h1 { font-size: 1.6rem; margin: 1rem 0 .25rem; }
.entry h2 { font-size: 1.05rem; margin: 0 0 .75rem; }
.entry p.lead { color: var(--muted); margin: 0 0 1.5rem; }
.entry form { border: 1px solid var(--line); border-radius: 12px; padding: 1rem 1.1rem 1.1rem; margin: 0 0 1rem; }
.entry label { display: block; font-size: .85rem; color: var(--muted); margin: .55rem 0 .2rem; }
.entry input, .entry select, .entry textarea { width: 100%; font: inherit; color: var(--ink); background: #0d0d0c; border: 1px solid var(--line); border-radius: 8px; padding: .55rem .65rem; }
.entry textarea { min-height: 7rem; font-family: ui-monospace, monospace; font-size: .85rem; }
.entry .row { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: 0 .75rem; }
.entry button { margin-top: .9rem; font: inherit; padding: .55rem 1.1rem; border-radius: 999px; border: 1px solid var(--ink); background: var(--ink); color: #000; font-weight: 600; cursor: pointer; }
.log { list-style: none; margin: 0; padding: 0; }
.log li { border-top: 1px solid var(--line); padding: .8rem 0; }
.log-text { margin: 0; }
.log-meta { margin: .25rem 0 0; color: var(--muted); font-size: .85rem; }
.notice { border-left: 3px solid var(--accent); padding: .4rem .8rem; margin: 0 0 1rem; color: var(--ink); }
.notice.error { border-color: #e76f51; }
`;

export const tipsManifest = {
  name: 'oO — one tip',
  short_name: 'oO',
  description: 'One well-timed tip from your tasks, calendar, habits and mood.',
  start_url: '/tips',
  scope: '/tips',
  display: 'standalone',
  background_color: '#000000',
  theme_color: '#000000',
  icons: [{ src: '/tips/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any maskable' }],
};

export const tipsIcon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><rect width="512" height="512" fill="#000"/><circle cx="196" cy="256" r="96" fill="none" stroke="#f2f0ea" stroke-width="36"/><circle cx="356" cy="292" r="56" fill="none" stroke="#e9c46a" stroke-width="30"/></svg>`;
