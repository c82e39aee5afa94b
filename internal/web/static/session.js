// Sign-in and the API client. The token lives in sessionStorage (this tab
// only) and travels in the Authorization header, never in a URL.
const TOKEN = 'partnerloop.token';
const PKCE = 'partnerloop.pkce';

let config;

async function signInConfig() {
  if (!config) {
    const res = await fetch('/v1/sign-in');
    if (!res.ok) throw new Error('sign-in settings unavailable');
    config = await res.json();
  }
  return config;
}

function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString() {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

function claims(token) {
  try {
    return JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    return null;
  }
}

function usable(token) {
  const c = token && claims(token);
  return !!c && (!c.exp || c.exp * 1000 > Date.now() + 30000);
}

// Redirect URI: the page itself (/portal/ or /console/), as registered
// with the issuer.
function redirectURI() {
  return location.origin + location.pathname.replace(/\/?$/, '/');
}

async function startSignIn(cfg) {
  if (cfg.dev_sign_in) {
    location.assign(cfg.dev_sign_in + '?return=' + encodeURIComponent(location.pathname + location.hash));
    return;
  }
  const verifier = randomString();
  const state = randomString();
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state, hash: location.hash }));
  const q = new URLSearchParams({
    response_type: 'code', client_id: cfg.client_id, redirect_uri: redirectURI(), scope: cfg.scope || 'openid',
    state, code_challenge: challenge, code_challenge_method: 'S256',
  });
  location.assign(cfg.authorization_endpoint + '?' + q);
}

// finishSignIn exchanges the authorization code the issuer sent back.
async function finishSignIn(cfg, params) {
  const pending = JSON.parse(sessionStorage.getItem(PKCE) || 'null');
  sessionStorage.removeItem(PKCE);
  history.replaceState(null, '', location.pathname + (pending?.hash || ''));
  if (!pending || pending.state !== params.get('state')) throw new Error('sign-in state mismatch');
  const res = await fetch(cfg.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectURI(),
      client_id: cfg.client_id, code_verifier: pending.verifier,
    }),
  });
  if (!res.ok) throw new Error('sign-in failed (' + res.status + ')');
  const tokens = await res.json();
  // The ID token carries the groups and the partner id the API reads.
  sessionStorage.setItem(TOKEN, tokens.id_token || tokens.access_token);
}

// signIn returns the token, or starts a sign-in and returns null.
export async function signIn() {
  const cfg = await signInConfig();
  const params = new URLSearchParams(location.search);
  if (params.has('code') && !cfg.dev_sign_in) await finishSignIn(cfg, params);
  const token = sessionStorage.getItem(TOKEN);
  if (usable(token)) return token;
  sessionStorage.removeItem(TOKEN);
  await startSignIn(cfg);
  return null;
}

export async function signOut() {
  sessionStorage.removeItem(TOKEN);
  const cfg = await signInConfig();
  if (cfg.logout_endpoint) {
    const q = new URLSearchParams({ client_id: cfg.client_id, logout_uri: location.origin + '/portal/' });
    location.assign(cfg.logout_endpoint + '?' + q);
  } else {
    location.assign(cfg.dev_sign_in || '/');
  }
}

// ApiError is an API error answer: status, code, message and the field it
// names, if any.
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

// The screen shown now: the reads of one screen share its AbortController.
let screen = new AbortController();

// openScreen abandons the reads of the screen shown so far and returns the
// signal of the next one, aborted in turn when the user moves on again.
export function openScreen() {
  screen.abort();
  screen = new AbortController();
  return screen.signal;
}

// api calls the /v1 API with the token: JSON in and out, a Blob for CSV.
// A read is abandoned when the user leaves its screen (ApiError
// "abandoned"); a write is not, as it may already have taken effect and
// the user is still told how it ended.
export async function api(path, { method = 'GET', body, headers = {}, raw = false } = {}) {
  const token = sessionStorage.getItem(TOKEN);
  const signal = method === 'GET' ? screen.signal : undefined;
  const init = { method, signal, headers: { ...headers, Authorization: 'Bearer ' + token } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, signal?.aborted ? 'abandoned' : 'network', '');
  }
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN);
    await startSignIn(await signInConfig());
    throw new ApiError(401, 'unauthenticated', '');
  }
  if (!res.ok) {
    const e = await res.json().catch(() => ({}));
    throw new ApiError(res.status, e.error?.code || 'internal', e.error?.message || '', e.error?.field);
  }
  if (raw) return res;
  try {
    return res.status === 204 ? null : await res.json();
  } catch (err) {
    if (signal?.aborted) throw new ApiError(0, 'abandoned', '');
    throw err;
  }
}
