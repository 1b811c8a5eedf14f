/** The bots page's card import: the chosen file (PNG or JSON card) goes to `POST /api/bots/import`, then the kickoff. */

export function watchCardImport(): void {
  const input = document.getElementById('card-import') as HTMLInputElement | null;
  if (!input) return;
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    const status = document.getElementById('card-import-status');
    if (!file) return;
    const png = file.name.toLowerCase().endsWith('.png') || file.type === 'image/png';
    const response = await fetch('/api/bots/import', {
      method: 'POST',
      headers: { 'content-type': png ? 'image/png' : 'application/json' },
      body: file,
    });
    let answer: { bot_id?: string; detail?: string } = {};
    try {
      answer = (await response.json()) as typeof answer;
    } catch {}
    if (response.ok) location.href = `/bots/${answer.bot_id}/kickoff`;
    else if (status) status.textContent = answer.detail || 'The card could not be imported.';
  });
}
