// REST calls that change things: the admin token is asked for once (kept in
// this browser's localStorage) and asked again if the hub refuses it.

const TOKEN_KEY = 'sysmonstm.adminToken';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error || `HTTP ${status}`);
    this.status = status;
    this.field = body?.field;
  }
}

function token(askAgain) {
  let value = localStorage.getItem(TOKEN_KEY);
  if (!value || askAgain) {
    value = window.prompt('Admin token (printed in the hub log at first start, or --admin-token):') || '';
    if (value) localStorage.setItem(TOKEN_KEY, value);
  }
  return value;
}

// A mutation with the admin token; retries once with a fresh token after 401.
export async function change(method, url, body) {
  for (const askAgain of [false, true]) {
    const res = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token(askAgain)}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401 && !askAgain) continue;
    const text = await res.text();
    const json = text ? JSON.parse(text) : null;
    if (!res.ok) throw new ApiError(res.status, json);
    return json;
  }
  throw new ApiError(401, { error: 'admin token refused' });
}

export async function get(url) {
  const res = await fetch(url);
  const json = await res.json();
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

// A read that needs the admin token (the agent tokens list).
export function adminGet(url) {
  return change('GET', url);
}
