// A hub started with --viewer-token asks each browser for the viewer token
// once: POST /api/session checks it and sets an HttpOnly cookie, after which
// the API and the live feed answer as usual. Without a viewer token (or on
// a public relay) this does nothing.

import { readOnly } from './mode.js';

async function sessionState() {
  const res = await fetch('/api/session');
  if (!res.ok) return { viewer_token_required: false, signed_in: true };
  return res.json();
}

// Resolves once this browser may read.
export async function ensureViewer() {
  if (readOnly) return;
  const state = await sessionState();
  if (!state.viewer_token_required || state.signed_in) return;
  const form = document.getElementById('signin');
  const input = form.querySelector('input');
  const error = form.querySelector('[data-field=error]');
  form.hidden = false;
  input.focus();
  await new Promise((resolve) => {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const res = await fetch('/api/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: input.value }),
      });
      if (res.ok) {
        resolve();
        return;
      }
      const body = await res.json().catch(() => ({}));
      error.textContent = body.error || `HTTP ${res.status}`;
      error.hidden = false;
      input.select();
    });
  });
  input.value = '';
  form.hidden = true;
}
