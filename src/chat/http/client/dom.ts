/** Small DOM and fetch helpers the chat page's modules share. */

/** The element with this id; the page is server-rendered, so a missing one is a bug worth a clear error. */
export function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the chat page has no #${id}`);
  return found as T;
}

/** The first descendant matching `selector`, or an error naming it. */
export function child<T extends Element>(parent: ParentNode, selector: string): T {
  const found = parent.querySelector<T>(selector);
  if (!found) throw new Error(`no ${selector} here`);
  return found;
}

/** A button that looks like a link, with `data-*` values the click handler reads. */
export function linkButton(className: string, label: string, data: Record<string, string>): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = `link ${className}`;
  button.textContent = label;
  for (const [key, value] of Object.entries(data)) button.dataset[key] = value;
  return button;
}

/** A form post the chat routes answer with JSON (`x-chat-client`). */
export function postForm(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-chat-client': '1' },
    body: new URLSearchParams(fields),
  });
}

/** The `detail` of a problem+json answer, or the fallback. */
export async function problemDetail(response: Response, fallback: string): Promise<string> {
  try {
    const body = (await response.json()) as { detail?: unknown };
    return typeof body.detail === 'string' && body.detail !== '' ? body.detail : fallback;
  } catch {
    return fallback;
  }
}
