/** The page shell every product renders into: head, assets, top navigation and a main landmark. */
import type { ComponentChildren } from 'preact';

export type Section = 'home' | 'village' | 'chat' | 'tips' | 'admin';

export const navigation: ReadonlyArray<{ section: Exclude<Section, 'home'>; label: string; href: string }> = [
  { section: 'village', label: 'Village', href: '/village' },
  { section: 'chat', label: 'Chat', href: '/chat' },
  { section: 'tips', label: 'Tips', href: '/tips' },
  { section: 'admin', label: 'Admin', href: '/admin' },
];

export interface LayoutProps {
  title: string;
  /** The navigation entry to mark with aria-current. */
  active?: Section;
  children?: ComponentChildren;
}

export function Layout({ title, active, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{active === 'home' ? title : `${title} · Koivulahti`}</title>
        <link rel="stylesheet" href="/static/app.css" />
        <script src="/static/htmx.min.js" defer />
        <script src="/static/htmx-ext-sse.js" defer />
      </head>
      <body>
        <header class="site-header">
          <div class="bar">
            <a class="brand" href="/" aria-current={active === 'home' ? 'page' : undefined}>
              Koivulahti
            </a>
            <nav aria-label="Main">
              <ul>
                {navigation.map((item) => (
                  <li key={item.section}>
                    <a href={item.href} aria-current={item.section === active ? 'page' : undefined}>
                      {item.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          </div>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
