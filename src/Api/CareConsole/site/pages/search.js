import { html, render, nothing } from '../vendor/lit-html-3.3.3.js';
import { get, query } from '../api.js';
import { attention, badge, money, orderLink, spaced, time } from '../format.js';

const statuses = ['pending', 'allocated', 'partiallyCancelled', 'cancelled', 'failed', 'inFulfilment', 'partiallyShipped',
  'shipped', 'delivered', 'readyForPickup', 'collected', 'completed'];
const channels = ['web', 'app', 'care', 'store', 'kiosk'];

// Each field is named after the filter it sets, as agents say them on the phone.
const fields = [
  ['email', 'Email', 'email'],
  ['q', 'Order number', 'search'],
  ['customerId', 'Customer', 'text'],
  ['name', 'Name', 'text'],
  ['locationId', 'Location', 'text'],
];

function toInstant(date) {
  return date ? new Date(`${date}T00:00:00`).toISOString() : '';
}

export async function searchPage(ctx, params) {
  document.title = 'Search orders · Oms care console';
  const filters = Object.fromEntries(params.entries());
  const hasFilter = Object.keys(filters).some((k) => k !== 'cursor' && filters[k]);
  const page = hasFilter ? await get(`/api/v1/orders${query({ ...apiFilters(filters), limit: 25 })}`) : null;

  const submit = (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const next = {};
    for (const [name, value] of form.entries()) if (String(value).trim()) next[name] = String(value).trim();
    ctx.navigate(`#/search${query(next)}`);
  };

  render(html`
    <h1>Search orders</h1>
    <form class="filters" @submit=${submit} role="search">
      ${fields.map(([name, label, type]) => html`
        <div><label for=${`f-${name}`}>${label}</label>
        <input id=${`f-${name}`} name=${name} type=${type} .value=${filters[name] ?? ''} maxlength="200" autocomplete="off"></div>`)}
      <div><label for="f-status">Status</label>
        <select id="f-status" name="status">
          <option value="">any</option>
          ${statuses.map((s) => html`<option value=${s} ?selected=${filters.status === s}>${spaced(s)}</option>`)}
        </select></div>
      <div><label for="f-channel">Channel</label>
        <select id="f-channel" name="channel">
          <option value="">any</option>
          ${channels.map((c) => html`<option value=${c} ?selected=${filters.channel === c}>${c}</option>`)}
        </select></div>
      <div><label for="f-attention">Needs attention</label>
        <select id="f-attention" name="needsAttention">
          <option value="">either</option>
          <option value="true" ?selected=${filters.needsAttention === 'true'}>yes</option>
          <option value="false" ?selected=${filters.needsAttention === 'false'}>no</option>
        </select></div>
      <div><label for="f-from">Created from</label><input id="f-from" name="createdFrom" type="date" .value=${filters.createdFrom ?? ''}></div>
      <div><label for="f-to">Created to</label><input id="f-to" name="createdTo" type="date" .value=${filters.createdTo ?? ''}></div>
      <div class="go"><button type="submit">Search</button></div>
    </form>
    ${page ? results(ctx, page, (cursor) => `#/search${query({ ...filters, cursor })}`) : html`<p>Give any filter: an e-mail, an order number, a customer id.</p>`}`, ctx.main);
}

function apiFilters(filters) {
  return {
    ...filters,
    createdFrom: toInstant(filters.createdFrom),
    // "to" is the whole day the agent picked.
    createdTo: filters.createdTo ? new Date(new Date(`${filters.createdTo}T00:00:00`).getTime() + 86_400_000).toISOString() : '',
  };
}

export async function attentionPage(ctx, params) {
  document.title = 'Attention queue · Oms care console';
  const cursor = params.get('cursor') ?? '';
  const page = await get(`/api/v1/orders${query({ needsAttention: true, sort: 'oldest', limit: 50, cursor })}`);
  render(html`
    <h1>Attention queue</h1>
    <p>Every order that needs a person, oldest first.</p>
    ${results(ctx, page, (next) => `#/attention${query({ cursor: next })}`, true)}`, ctx.main);
}

function results(ctx, page, pageLink, withReason = false) {
  if (!page.items.length) return html`<p>No orders match.</p>`;
  return html`
    <div class="table"><table>
      <caption>${page.items.length} order${page.items.length === 1 ? '' : 's'}${page.next ? ' (more on the next page)' : ''}</caption>
      <thead><tr><th scope="col">Order number</th><th scope="col">Created</th><th scope="col">Customer</th><th scope="col">Email</th>
        <th scope="col">Channel</th><th scope="col">Status</th>${withReason ? html`<th scope="col">Why</th>` : nothing}
        <th scope="col">Units</th><th scope="col">Total</th><th scope="col">Locations</th></tr></thead>
      <tbody>${page.items.map((o) => html`<tr>
        <td>${orderLink(o.orderId)}</td><td>${time(o.createdAt)}</td>
        <td>${o.name ?? ''} <code>${o.customerId}</code></td><td>${o.email ?? ''}</td><td>${o.channel}</td>
        <td>${badge(o.status)} ${attention(o.needsAttention)}</td>${withReason ? html`<td>${o.needsAttention ?? ''}</td>` : nothing}
        <td class="n">${o.units}</td><td class="n">${money(o.total, o.currency)}</td><td>${o.locationIds.join(', ')}</td></tr>`)}</tbody>
    </table></div>
    ${page.next ? html`<p><a href=${pageLink(page.next)}>Next page</a></p>` : nothing}`;
}
