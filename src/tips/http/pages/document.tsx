/** The tips pages' own document: a black watch face with its manifest, icon and stylesheet, not the shell's light pages. */
import type { ComponentChildren } from 'preact';

export function TipDocument({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
        <meta name="theme-color" content="#000000" />
        <meta name="color-scheme" content="dark" />
        <meta name="apple-mobile-web-app-capable" content="yes" />
        <meta name="apple-mobile-web-app-status-bar-style" content="black" />
        <title>{title}</title>
        <link rel="manifest" href="/tips/manifest.webmanifest" />
        <link rel="icon" href="/tips/icon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/tips/tips.css" />
        <script src="/static/htmx.min.js" defer />
      </head>
      <body>{children}</body>
    </html>
  );
}
