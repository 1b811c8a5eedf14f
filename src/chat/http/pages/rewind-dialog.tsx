/** The rewind preview: what "rewind to here" takes out of effect, and the button that does it. */
import type { RewindImpact } from '../../domain/events.js';
export function RewindPreviewDialog({
  chatId,
  toTurnId,
  impact,
  undoSeconds,
}: {
  chatId: string;
  toTurnId: string;
  impact: RewindImpact;
  undoSeconds: number;
}) {
  const rows: Array<[string, number]> = [
    ['messages', impact.messages],
    ['scene transitions', impact.scene_transitions],
    ['relationship updates', impact.edge_updates],
    ['memories', impact.memories],
    ['time passages', impact.time_passes],
    ['other changes (significance, pins, edits)', impact.other],
  ];
  return (
    <form method="post" action={`/chats/${chatId}/rewind`} class="rewind-preview" id="rewind-preview">
      <h2>Rewind to here?</h2>
      <p>Everything after this point stops counting:</p>
      <ul class="impact">
        {rows.map(([label, count]) => (
          <li key={label} class={count === 0 ? 'muted' : ''} data-impact={label}>
            <strong>{count}</strong> {label}
          </li>
        ))}
      </ul>
      <p class="muted small">
        Nothing is deleted: the log keeps every event and a snapshot is taken first. You can undo for {undoSeconds} seconds.
      </p>
      <input type="hidden" name="to" value={toTurnId} />
      <div class="composer-actions">
        <button type="submit" id="rewind-confirm">
          Rewind
        </button>
        <button type="button" class="secondary" id="rewind-cancel">
          Cancel
        </button>
      </div>
    </form>
  );
}
