// The console's only way to the OMS: the public HTTP API, authenticated by the session cookie the browser
// attaches (HttpOnly: this script never sees the key). Changes carry the session's CSRF token.

let csrfToken = null;
const calls = [];
const listeners = new Set();

export function useCsrfToken(token) {
  csrfToken = token;
}

/** Every call the current page made, with its time: shown in the footer, read by the browser tests. */
export function pageCalls() {
  return calls.slice();
}

export function newPage() {
  calls.length = 0;
  notify();
}

export function onCalls(listener) {
  listeners.add(listener);
}

function notify() {
  for (const listener of listeners) listener(calls.slice());
}

/** An RFC 9457 problem from the API, or a network failure dressed as one. */
export class ApiProblem extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem?.title || `HTTP ${status}`;
    this.detail = problem?.detail || '';
    this.errors = problem?.errors || {};
  }
}

/** A fresh id for an idempotent change: a retry of the same attempt reuses it, a new attempt gets another. */
export function newId(prefix) {
  return `${prefix}-${crypto.randomUUID()}`;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export async function call(method, path, { body, idempotencyKey, authorization } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  if (authorization) headers.Authorization = authorization;

  const started = performance.now();
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiProblem(0, { title: 'The OMS did not answer.', detail: 'Check the connection and try again.' });
  } finally {
    calls.push({ method, path: path.split('?')[0], ms: Math.round(performance.now() - started) });
    notify();
  }

  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { title: `HTTP ${response.status}`, detail: 'The answer was not JSON.' };
    }
  }
  if (!response.ok) {
    const problem = new ApiProblem(response.status, data);
    if (response.status === 401 && !path.startsWith('/care/session')) {
      window.dispatchEvent(new CustomEvent('oms:signed-out'));
    }
    throw problem;
  }
  return data;
}

export const get = (path) => call('GET', path);
export const post = (path, body, options = {}) => call('POST', path, { ...options, body });
