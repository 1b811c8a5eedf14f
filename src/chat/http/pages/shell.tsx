/** The chat product's frame: its tabs, the offline banner and a notice line, inside the site layout. */
import type { ComponentChildren } from 'preact';
import { Layout } from '../../../web/jsx/layout.js';
export interface ShellProps {
  title: string;
  tab?: 'chats' | 'bots' | 'new' | 'settings';
  offline: boolean;
  notice?: string;
  children?: ComponentChildren;
  wide?: boolean;
}

export function OfflineBanner() {
  return (
    <div class="chat-banner" role="status">
      <strong>No language model is configured.</strong> Replies come from the offline narrator, a placeholder writer. To use a model, set{' '}
      <code>[llm] base_url</code> and <code>model</code> (or <code>[llm.aliases.narrative]</code> and <code>[llm.aliases.classifier]</code>)
      in <code>data/config.toml</code>, or the environment variables <code>LLM_BASE_URL</code> and <code>LLM_MODEL</code>, then restart.
    </div>
  );
}

export function Shell({ title, tab, offline, notice, children, wide }: ShellProps) {
  const tabs = [
    { id: 'chats', label: 'Chats', href: '/chats' },
    { id: 'bots', label: 'Bots', href: '/bots' },
    { id: 'new', label: 'New bot', href: '/bots/new' },
    { id: 'settings', label: 'You', href: '/settings' },
  ] as const;
  return (
    <Layout title={title} active="chat">
      <link rel="stylesheet" href="/chat/static/chat.css" />
      <div class={wide ? 'chat-app wide' : 'chat-app'}>
        <nav class="chat-tabs" aria-label="Chat">
          {tabs.map((item) => (
            <a key={item.id} href={item.href} aria-current={item.id === tab ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
        {offline ? <OfflineBanner /> : null}
        {notice ? (
          <p class="chat-notice" role="status">
            {notice}
          </p>
        ) : null}
        {children}
      </div>
    </Layout>
  );
}
