import { html, render, nothing } from '../vendor/lit-html-3.3.3.js';
import { get, query } from '../api.js';
import { problem, spaced, time } from '../format.js';

export async function stockPage(ctx, params) {
  document.title = 'Stock · Oms care console';
  const sku = params.get('sku') ?? '';
  const boutique = params.get('boutique') ?? (ctx.session.role === 'store' ? ctx.session.locationIds?.[0] ?? '' : '');
  const cursor = params.get('cursor') ?? '';
  const enc = encodeURIComponent;
  // The network's two views of the SKU and the boutique's own shelf: three reads at once.
  const [online, store, shelf] = await Promise.all([
    sku ? get(`/api/v1/availability/${enc(sku)}?view=online`).catch((e) => e) : null,
    sku ? get(`/api/v1/availability/${enc(sku)}?view=store`).catch((e) => e) : null,
    boutique ? get(`/api/v1/boutiques/${enc(boutique)}/stock${query({ limit: 50, cursor })}`).catch((e) => e) : null,
  ]);

  const submit = (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    ctx.navigate(`#/stock${query({ sku: String(form.get('sku')).trim(), boutique: String(form.get('boutique')).trim() })}`);
  };

  render(html`
    <h1>Stock</h1>
    <form class="filters" @submit=${submit}>
      <div><label for="s-sku">SKU</label><input id="s-sku" name="sku" maxlength="64" .value=${sku} autocomplete="off"></div>
      <div><label for="s-boutique">Boutique</label><input id="s-boutique" name="boutique" maxlength="64" .value=${boutique} autocomplete="off"></div>
      <div class="go"><button type="submit">Look up</button></div>
    </form>
    ${sku ? html`<div class="columns">${view('Online: what can be sold online', sku, online)}${view('Store: what each shop can sell over its counter', sku, store)}</div>` : nothing}
    ${boutique ? shelfView(boutique, shelf, sku) : nothing}`, ctx.main);
}

function view(title, sku, answer) {
  if (answer instanceof Error) return html`<section><h2>${title}</h2>${problem(answer)}</section>`;
  return html`<section><h2>${title}</h2>
    <p><code>${sku}</code>: <strong>${answer.available}</strong> available across the network.</p>
    <div class="table"><table>
      <thead><tr><th scope="col">Location</th><th scope="col">Type</th><th scope="col">Available</th></tr></thead>
      <tbody>${answer.locations.map((l) => html`<tr><td><code>${l.locationId}</code></td><td>${l.type}</td><td class="n">${l.available}</td></tr>`)}</tbody>
    </table></div></section>`;
}

function shelfView(boutique, shelf, sku) {
  if (shelf instanceof Error) return html`<section><h2>Boutique <code>${boutique}</code></h2>${problem(shelf)}</section>`;
  return html`<section><h2>Boutique <code>${boutique}</code>: its own stock</h2>
    <div class="table"><table>
      <thead><tr><th scope="col">SKU</th><th scope="col">On hand</th><th scope="col">Available in store</th><th scope="col">Available online</th><th scope="col">Ledger</th></tr></thead>
      <tbody>${shelf.items.map((i) => html`<tr><td><code>${i.sku}</code></td><td class="n">${i.onHand}</td><td class="n">${i.available.store}</td><td class="n">${i.available.online}</td>
        <td><a href=${`#/stock/${encodeURIComponent(boutique)}/${encodeURIComponent(i.sku)}`}>Ledger</a></td></tr>`)}</tbody>
    </table></div>
    ${shelf.next ? html`<p><a href=${`#/stock${query({ sku, boutique, cursor: shelf.next })}`}>Next page</a></p>` : nothing}</section>`;
}

export async function ledgerPage(ctx, locationId, sku) {
  document.title = `${sku} at ${locationId} · Oms care console`;
  const base = `/api/v1/locations/${encodeURIComponent(locationId)}/stock/${encodeURIComponent(sku)}`;
  const [position, ledger] = await Promise.all([get(base), get(`${base}/ledger?limit=200`)]);
  render(html`
    <h1>Stock item <code>${locationId}</code> · <code>${sku}</code></h1>
    <dl class="summary">
      ${['onHand', 'safetyStock', 'reserved', 'allocated', 'available', 'quarantined'].map((k) => html`<div><dt>${spaced(k)}</dt><dd class="n">${position[k] ?? 0}</dd></div>`)}
    </dl>
    <h2>Ledger</h2>
    <div class="table"><table>
      <caption>Every movement behind the position, oldest first${ledger.next ? ' (first 200)' : ''}</caption>
      <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Movement</th><th scope="col">Quantity</th><th scope="col">Reference</th><th scope="col">Actor</th></tr></thead>
      <tbody>${ledger.entries.map((e) => html`<tr><td class="n">${e.sequence}</td><td>${time(e.at)}</td><td>${spaced(e.kind)}</td><td class="n">${e.quantity}</td>
        <td><code>${e.reference ?? ''}</code></td><td><code>${e.actor ?? ''}</code></td></tr>`)}</tbody>
    </table></div>`, ctx.main);
}
