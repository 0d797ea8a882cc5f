import { html, nothing } from './vendor/lit-html-3.3.3.js';

// Text only: every value from the API goes through lit-html's text bindings, which never parse markup.

/** The API's words, spaced for reading: partiallyCancelled → "partially cancelled". */
export function spaced(word) {
  return word ? String(word).replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase() : '';
}

const tones = {
  cancelled: 'muted', failed: 'bad', rejected: 'bad', expired: 'bad', onHold: 'warn',
  delivered: 'good', collected: 'good', completed: 'good', received: 'good', succeeded: 'good',
  readyForPickup: 'info', shipped: 'info', partiallyShipped: 'info', inFulfilment: 'info',
  partiallyCancelled: 'warn', partiallyReceived: 'warn', requested: 'plain', allocated: 'plain',
};

export function badge(status) {
  return html`<span class="badge ${tones[status] || 'plain'}">${spaced(status)}</span>`;
}

export function attention(reason) {
  return reason ? html`<span class="badge bad" title=${reason}>needs attention</span>` : nothing;
}

const dateTimes = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function when(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : dateTimes.format(date);
}

export function time(iso) {
  return iso ? html`<time datetime=${iso}>${when(iso)}</time>` : nothing;
}

export function money(amount, currency) {
  if (amount === null || amount === undefined) return '';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount} ${currency ?? ''}`;
  }
}

/** Only web links: a carrier's tracking URL is the carrier's word, and a javascript: URL must never become a link. */
export function trackingLink(shipment) {
  if (!shipment) return nothing;
  const label = `${shipment.carrier ?? ''} ${shipment.service ?? ''} ${shipment.trackingNumber ?? ''}`.trim();
  let url = null;
  try {
    const parsed = new URL(shipment.trackingUrl);
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') url = parsed.href;
  } catch {
    url = null;
  }
  return url ? html`<a href=${url} rel="noopener noreferrer" target="_blank">${label}</a>` : html`${label}`;
}

export function problem(error) {
  if (!error) return nothing;
  const fields = Object.entries(error.errors || {});
  return html`<div class="problem" role="alert">
    <strong>${error.title}</strong> ${error.detail && error.detail !== error.title ? html`<span>${error.detail}</span>` : nothing}
    ${fields.length ? html`<ul>${fields.map(([field, messages]) => html`<li><code>${field}</code>: ${[].concat(messages).join(' ')}</li>`)}</ul>` : nothing}
  </div>`;
}

export function ledgerLink(locationId, sku) {
  return html`<a href=${`#/stock/${encodeURIComponent(locationId)}/${encodeURIComponent(sku)}`}>${locationId} · ${sku}</a>`;
}

export function orderLink(orderId) {
  return html`<a href=${`#/orders/${encodeURIComponent(orderId)}`}>${orderId}</a>`;
}

export function customer(c) {
  if (!c) return '';
  return c.name ? `${c.name} (${c.customerId})` : c.customerId;
}
