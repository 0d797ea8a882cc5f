import { html, render, nothing } from './vendor/lit-html-3.3.3.js';
import { call, ApiProblem, newPage, onCalls, useCsrfToken } from './api.js';
import { problem } from './format.js';
import { searchPage, attentionPage } from './pages/search.js';
import { orderPage } from './pages/order.js';
import { stockPage, ledgerPage } from './pages/stock.js';
import { queuePage } from './pages/queue.js';

const top = document.getElementById('top');
const main = document.getElementById('main');
const footer = document.getElementById('calls');
const dialog = document.getElementById('confirm');
// The static placeholder goes: lit-html renders beside what it did not render itself.
main.replaceChildren();

let session = null;
let flash = null;

// The routes: a hash, so the one static page serves them all and the browser's back button works.
const routes = [
  [/^#\/orders\/([^/?]+)$/, (m) => orderPage(context(), decodeURIComponent(m[1]))],
  [/^#\/stock\/([^/?]+)\/([^/?]+)$/, (m) => ledgerPage(context(), decodeURIComponent(m[1]), decodeURIComponent(m[2]))],
  [/^#\/stock(\?.*)?$/, (m) => stockPage(context(), new URLSearchParams(m[1] || ''))],
  [/^#\/queue\/([^/?]+)$/, (m) => queuePage(context(), decodeURIComponent(m[1]))],
  [/^#\/queue$/, () => queuePage(context(), session.locationIds?.[0] ?? '')],
  [/^#\/attention(\?.*)?$/, (m) => attentionPage(context(), new URLSearchParams(m[1] || ''))],
  [/^#\/search(\?.*)?$/, (m) => searchPage(context(), new URLSearchParams(m[1] || ''))],
];

function home() {
  return session?.role === 'store' ? '#/queue' : '#/search';
}

function context() {
  return {
    session,
    main,
    navigate: (hash) => { window.location.hash = hash; },
    reload: () => route(),
    ask,
    say: (message) => { flash = message; },
    takeFlash: () => { const message = flash; flash = null; return message; },
  };
}

async function loadSession() {
  const view = await call('GET', '/care/session');
  useCsrfToken(view.csrfToken);
  session = view.signedIn ? view : null;
  return view;
}

function header() {
  if (!session) {
    render(nothing, top);
    return;
  }
  const links = [['#/search', 'Search'], ['#/attention', 'Attention'], ['#/stock', 'Stock']];
  if (session.role === 'store' || session.role === 'admin') links.push(['#/queue', 'Boutique queue']);
  const here = window.location.hash || home();
  render(html`
    <nav aria-label="Console">
      <span class="brand">Oms care</span>
      <ul>${links.map(([href, label]) => html`<li><a href=${href} aria-current=${here.startsWith(href) ? 'page' : 'false'}>${label}</a></li>`)}</ul>
      <span class="who">Signed in as <strong>${session.name}</strong> <code>${session.actor}</code> · ${session.role}${session.locationIds?.length ? html` · ${session.locationIds.join(', ')}` : nothing}</span>
      <button type="button" class="secondary" @click=${signOut}>Sign out</button>
    </nav>`, top);
}

async function signOut() {
  try {
    await call('DELETE', '/care/session');
  } finally {
    session = null;
    await loadSession().catch(() => {});
    window.location.hash = '';
    showSignIn('You are signed out.');
  }
}

function showSignIn(message, error) {
  header();
  document.title = 'Sign in · Oms care console';
  render(html`
    <section class="signin">
      <h1>Care console</h1>
      <p>Sign in with a care, store or admin key${session === null && idpEnabled ? ', or a token from your identity provider' : ''}. The key is kept in an
        HttpOnly session cookie, out of this page's reach; sign out or close the browser to end the session.</p>
      ${message ? html`<p role="status" class="flash">${message}</p>` : nothing}
      ${problem(error)}
      <form @submit=${signIn}>
        <label for="key">API key</label>
        <input id="key" name="key" type="password" autocomplete="off" spellcheck="false" required maxlength="4096">
        <button type="submit">Sign in</button>
      </form>
    </section>`, main);
  main.querySelector('#key')?.focus();
}

let idpEnabled = false;

async function signIn(event) {
  event.preventDefault();
  const input = event.target.elements.key;
  const key = input.value.trim();
  // Sent once, as any API client sends it; the answer's cookie replaces it, and the field is cleared at once.
  input.value = '';
  try {
    const view = await call('POST', '/care/session', { authorization: `Bearer ${key}` });
    useCsrfToken(view.csrfToken);
    session = view;
    // A new hash routes by itself (hashchange); the same one must be routed here, once.
    if (window.location.hash === home()) await route();
    else window.location.hash = home();
  } catch (error) {
    if (!(error instanceof ApiProblem)) throw error;
    showSignIn(null, error);
  }
}

/**
 * A confirmation for a change: the form says what will happen, the agent confirms, and the dialog stays open with
 * the API's problem if it refuses, so nothing is lost by a wrong field.
 */
function ask({ title, body, confirm = 'Confirm', action }) {
  return new Promise((resolve) => {
    let error = null;
    let busy = false;
    const draw = () => render(html`
      <form method="dialog" @submit=${submit}>
        <h2 id="confirm-title">${title}</h2>
        ${body}
        ${problem(error)}
        <div class="buttons">
          <button type="submit" ?disabled=${busy}>${confirm}</button>
          <button type="button" class="secondary" @click=${() => close(null)}>Back</button>
        </div>
      </form>`, dialog);
    const close = (result) => {
      dialog.close();
      render(nothing, dialog);
      resolve(result);
    };
    const submit = async (event) => {
      event.preventDefault();
      busy = true;
      error = null;
      draw();
      try {
        close(await action(new FormData(event.target), event.target));
      } catch (e) {
        if (!(e instanceof ApiProblem)) throw e;
        error = e;
        busy = false;
        draw();
      }
    };
    dialog.oncancel = () => resolve(null);
    draw();
    dialog.showModal();
    dialog.querySelector('input, select, textarea, button')?.focus();
  });
}

async function route() {
  if (!session) {
    showSignIn();
    return;
  }
  const hash = window.location.hash || home();
  header();
  newPage();
  for (const [pattern, page] of routes) {
    const match = hash.match(pattern);
    if (match) {
      try {
        await page(match);
      } catch (error) {
        if (!(error instanceof ApiProblem)) throw error;
        if (session) render(html`<h1>Not available</h1>${problem(error)}`, main);
      }
      return;
    }
  }
  window.location.hash = home();
}

onCalls((calls) => {
  if (!calls.length) {
    render(nothing, footer);
    return;
  }
  const slowest = Math.max(...calls.map((c) => c.ms));
  render(html`<span>This page: ${calls.length} API call${calls.length === 1 ? '' : 's'}, slowest ${slowest} ms</span>`, footer);
});

window.addEventListener('hashchange', () => route());
window.addEventListener('oms:signed-out', async () => {
  session = null;
  await loadSession().catch(() => {});
  showSignIn('Your session has ended: sign in again.');
});

try {
  const view = await loadSession();
  idpEnabled = view.identityProvider;
} catch (error) {
  render(html`<h1>The OMS is not answering</h1>${problem(error)}`, main);
}
await route();
