/** The drawer: the bot's state (clock, place, activity, relationship, memories, the last prompt's ledger), editable. */
import type { ComponentChildren } from 'preact';
import type { ActivityRow, BotRow, ChatRow, ContainerRow, EdgeRow, MemoryRow } from '../../read-model/queries.js';
import { formatClock, Prose } from './format.js';
export interface DrawerProps {
  chat: ChatRow;
  bot: BotRow;
  youName: string;
  containers: ContainerRow[];
  activity: ActivityRow[];
  edges: EdgeRow[];
  recent: MemoryRow[];
  pinned: MemoryRow[];
  pinCap: number;
}

/** htmx: post the form and swap the drawer with the answer (the route returns the drawer for htmx requests). */
function htmxDrawer(path: string): Record<string, string> {
  return { 'hx-post': path, 'hx-target': '#drawer', 'hx-swap': 'innerHTML' };
}

/** A drawer edit: hidden target fields, the editable fields, Save. Each changed field becomes one `manual_edit`. */
function EditForm({
  chatId,
  hidden,
  label,
  children,
}: {
  chatId: string;
  hidden: Record<string, string>;
  label: string;
  children: ComponentChildren;
}) {
  const path = `/chats/${chatId}/edit`;
  return (
    <details class="edit">
      <summary>Edit</summary>
      <form method="post" action={path} class="edit-form" aria-label={label} {...htmxDrawer(path)}>
        {Object.entries(hidden).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        {children}
        <button type="submit" class="secondary">
          Save
        </button>
      </form>
    </details>
  );
}

function Bar({ label, value }: { label: string; value: number }) {
  return (
    <div class="bar-row">
      <span>{label}</span>
      <span class="meter" aria-hidden="true">
        <span style={{ width: `${value}%` }} />
      </span>
      <span class="num">{value}</span>
    </div>
  );
}

export function Drawer(props: DrawerProps) {
  const { chat, bot } = props;
  const names = new Map([
    ['you', props.youName],
    [bot.bot_id, bot.name],
  ]);
  const container = props.containers.find((candidate) => candidate.container_id === chat.state.containerId) ?? props.containers[0];
  const ledger = chat.last_ledger;
  const retrieved = chat.last_retrieved ?? [];
  return (
    <div class="drawer-body" id="drawer-body">
      <section>
        <h2>Clock</h2>
        <p class="clock" id="drawer-clock">
          {formatClock(chat.state.clock)}
          {chat.state.weather ? ` · ${chat.state.weather}` : ' · weather not set'}
        </p>
      </section>
      <section>
        <h2>Scene</h2>
        <p>
          {chat.state.activeSceneId ? 'Open scene' : 'No open scene'}
          {container ? (
            <>
              {' in '}
              <strong>{container.name}</strong>{' '}
              <span class="muted">
                ({container.type}
                {container.properties.public ? ', public' : ''}
                {container.properties.moving ? ', moving' : ''})
              </span>
            </>
          ) : null}
        </p>
        {chat.state.activeSceneId ? (
          <form
            method="post"
            action={`/chats/${chat.chat_id}/scene/close`}
            class="scene-close"
            {...htmxDrawer(`/chats/${chat.chat_id}/scene/close`)}
          >
            <button type="submit" class="link" id="close-scene">
              Close this scene (writes {bot.name}'s summary)
            </button>
          </form>
        ) : null}
        <ul class="plain">
          {props.activity.map((entry) => (
            <li key={entry.entity_id}>
              <strong>{names.get(entry.entity_id) ?? entry.entity_id}</strong>: {entry.posture}, {entry.action.verb}
              {entry.holding.length > 0 ? `, holding ${entry.holding.join(', ')}` : ''}
              <EditForm
                chatId={chat.chat_id}
                hidden={{ kind: 'activity', entity_id: entry.entity_id }}
                label={`Edit activity of ${names.get(entry.entity_id) ?? entry.entity_id}`}
              >
                <label>
                  Posture
                  <input name="posture" value={entry.posture} maxLength={200} />
                </label>
                <label>
                  Doing
                  <input name="verb" value={entry.action.verb} maxLength={200} />
                </label>
                <label>
                  Attention
                  <input name="attention" value={entry.attention} maxLength={200} />
                </label>
                <label>
                  Holding <span class="hint">comma-separated</span>
                  <input name="holding" value={entry.holding.join(', ')} maxLength={500} />
                </label>
              </EditForm>
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2>Relationship</h2>
        {props.edges.map((edge) => (
          <div class="edge" key={`${edge.source_id}-${edge.target_id}`}>
            <p class="edge-title">
              {names.get(edge.source_id) ?? edge.source_id} → {names.get(edge.target_id) ?? edge.target_id}
            </p>
            <Bar label="affinity" value={edge.affinity} />
            <Bar label="trust" value={edge.trust} />
            {edge.summary ? <p class="muted small">{edge.summary}</p> : null}
            <EditForm
              chatId={chat.chat_id}
              hidden={{ kind: 'edge', source_id: edge.source_id, target_id: edge.target_id }}
              label={`Edit ${names.get(edge.source_id) ?? edge.source_id} → ${names.get(edge.target_id) ?? edge.target_id}`}
            >
              <label>
                Affinity
                <input name="affinity" type="number" min={0} max={100} value={String(edge.affinity)} />
              </label>
              <label>
                Trust
                <input name="trust" type="number" min={0} max={100} value={String(edge.trust)} />
              </label>
              <label>
                Summary
                <textarea name="summary" rows={2} maxLength={2000}>
                  {edge.summary}
                </textarea>
              </label>
            </EditForm>
          </div>
        ))}
      </section>
      <section>
        <h2>
          Pinned{' '}
          <span class="count">
            {props.pinned.length}/{props.pinCap}
          </span>
        </h2>
        {props.pinned.length === 0 ? <p class="muted small">Nothing pinned. Significance 3 pins automatically.</p> : null}
        <ul class="memories">
          {props.pinned.map((memory) => (
            <li key={memory.memory_id} class="memory pinned">
              <Prose text={memory.pov_summary} inline />
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2>Latest memories</h2>
        {props.recent.length === 0 ? <p class="muted small">No memories written in this chat yet.</p> : null}
        <ul class="memories" id="recent-memories">
          {props.recent.map((memory) => (
            <li key={memory.memory_id} class="memory" data-memory={memory.memory_id}>
              <span class={`sig sig-${memory.significance}`} title={`significance ${memory.significance} of 3`}>
                {'●'.repeat(memory.significance) || '○'}
              </span>{' '}
              <Prose text={memory.pov_summary} inline />
              <form method="post" action={`/chats/${chat.chat_id}/pin`} class="pin-form" {...htmxDrawer(`/chats/${chat.chat_id}/pin`)}>
                <input type="hidden" name="memory_id" value={memory.memory_id} />
                <input type="hidden" name="pinned" value={memory.pinned ? '0' : '1'} />
                <button type="submit" class="link pin-btn">
                  {memory.pinned ? 'Unpin' : 'Pin'}
                </button>
              </form>
              <EditForm chatId={chat.chat_id} hidden={{ kind: 'memory', memory_id: memory.memory_id }} label="Edit memory">
                <label>
                  Summary
                  <textarea name="pov_summary" rows={3} maxLength={2000}>
                    {memory.pov_summary}
                  </textarea>
                </label>
                <label>
                  Significance (0-3)
                  <input name="significance" type="number" min={0} max={3} value={String(memory.significance)} />
                </label>
              </EditForm>
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2>Retrieved for the last turn</h2>
        {retrieved.length === 0 ? <p class="muted small">No memory matched the last turn.</p> : null}
        <ul class="memories">
          {retrieved.map((memory) => (
            <li key={memory.memory_id} class="memory">
              <Prose text={memory.pov_summary} inline />
              <span class="why">
                score {memory.score}: {memory.why}
              </span>
            </li>
          ))}
        </ul>
      </section>
      <section>
        <h2>Token budget, last turn</h2>
        {ledger ? (
          <>
            <p class="small">
              {ledger.total} of {ledger.budget.hard} tokens (soft {ledger.budget.soft}) · must {ledger.tiers.must} · should{' '}
              {ledger.tiers.should} · nice {ledger.tiers.nice}
            </p>
            <table class="ledger">
              <thead>
                <tr>
                  <th>part</th>
                  <th>tier</th>
                  <th>tokens</th>
                  <th>result</th>
                </tr>
              </thead>
              <tbody>
                {ledger.entries.map((entry, index) => (
                  <tr key={index} class={entry.action}>
                    <td>
                      {entry.part}
                      {entry.count !== undefined ? ` ×${entry.count}` : ''}
                    </td>
                    <td>{entry.tier}</td>
                    <td class="num">{entry.tokens}</td>
                    <td>{entry.action === 'kept' ? 'kept' : `${entry.action}: ${entry.reason}`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : (
          <p class="muted small">No turn yet.</p>
        )}
      </section>
    </div>
  );
}
