import { html, render, nothing } from '../vendor/lit-html-3.3.3.js';
import { get, newId, post } from '../api.js';
import { attention, badge, customer, ledgerLink, money, spaced, time, trackingLink } from '../format.js';

const reasons = ['doesNotFit', 'notAsDescribed', 'damaged', 'wrongItem', 'changedMind', 'other'];
const closedReturn = new Set(['cancelled', 'expired']);
const readyOrLater = new Set(['readyForPickup', 'collected']);

export async function orderPage(ctx, orderId) {
  document.title = `Order ${orderId} · Oms care console`;
  const path = `/api/v1/orders/${encodeURIComponent(orderId)}`;
  // Independent reads, side by side: the page costs the slower of the two, not their sum.
  const [order, events] = await Promise.all([get(path), get(`${path}/events?limit=100`)]);
  const act = (fn) => async () => {
    const message = await fn(ctx, order);
    if (message) {
      ctx.say(message);
      await ctx.reload();
    }
  };
  const flash = ctx.takeFlash();
  const pickupOpen = order.delivery.method === 'clickAndCollect'
    && !order.fulfilments.some((f) => readyOrLater.has(f.status))
    && !['cancelled', 'failed', 'collected', 'completed'].includes(order.status);

  render(html`
    <h1>Order <code>${order.orderId}</code> ${badge(order.status)} ${attention(order.needsAttention)}</h1>
    ${flash ? html`<p role="status" class="flash">${flash}</p>` : nothing}
    ${order.needsAttention ? html`<p class="problem">Needs attention: ${order.needsAttention}</p>` : nothing}
    <dl class="summary">
      <div><dt>Status</dt><dd>${spaced(order.status)}</dd></div>
      <div><dt>Customer</dt><dd>${customer(order.customer)}${order.customer.email ? html`<br>${order.customer.email}` : nothing}</dd></div>
      <div><dt>Channel</dt><dd>${order.channel}${order.storeLocationId ? html` at <code>${order.storeLocationId}</code>` : nothing}</dd></div>
      <div><dt>Delivery</dt><dd>${delivery(order.delivery)}</dd></div>
      <div><dt>Created</dt><dd>${time(order.createdAt)}</dd></div>
      ${order.reservationId ? html`<div><dt>Reservation</dt><dd><code>${order.reservationId}</code></dd></div>` : nothing}
    </dl>
    <div class="actions" role="group" aria-label="Order actions">
      <button type="button" @click=${act(cancelOrder)}>Cancel order</button>
      <button type="button" @click=${act(addNote)}>Add note</button>
      <button type="button" @click=${act(authoriseReturn)}>Authorise return</button>
      <button type="button" @click=${act(startExchange)}>Start exchange</button>
      ${order.needsAttention ? html`<button type="button" @click=${act(resource)}>Re-source</button>` : nothing}
      ${pickupOpen ? html`<button type="button" @click=${act(changePickup)}>Change pickup boutique</button>` : nothing}
    </div>

    <h2>Lines</h2>
    <div class="table"><table>
      <thead><tr><th scope="col">Line</th><th scope="col">SKU</th><th scope="col">Price</th><th scope="col">Ordered</th><th scope="col">Allocated</th>
        <th scope="col">Cancelled</th><th scope="col">Shipped</th><th scope="col">Delivered</th><th scope="col">Collected</th>
        <th scope="col">Unfulfillable</th><th scope="col">Stock items</th><th scope="col"><span class="sr">Action</span></th></tr></thead>
      <tbody>${order.lines.map((line) => html`<tr>
        <td>${line.lineId}</td><td><code>${line.sku}</code>${line.finalSale ? html` <span class="badge warn">final sale</span>` : nothing}</td>
        <td class="n">${money(line.unitPrice, line.currency)}</td><td class="n">${line.quantity}</td><td class="n">${line.allocatedQuantity}</td>
        <td class="n">${line.cancelledQuantity}</td><td class="n">${line.shippedQuantity}</td><td class="n">${line.deliveredQuantity}</td>
        <td class="n">${line.collectedQuantity}</td><td class="n">${line.unfulfillableQuantity}</td>
        <td>${line.allocations.map((a) => html`<div>${ledgerLink(a.locationId, line.sku)} ×${a.quantity}</div>`)}</td>
        <td>${cancellable(line) > 0 ? html`<button type="button" class="small" aria-label=${`Cancel line ${line.lineId}`}
          @click=${act((c, o) => cancelLine(c, o, line))}>Cancel line</button>` : nothing}</td></tr>`)}</tbody>
    </table></div>

    <h2>Fulfilments</h2>
    ${order.fulfilments.length ? order.fulfilments.map((f) => fulfilment(f, order)) : html`<p>None yet.</p>`}

    ${aftercare(order)}

    <h2>Timeline</h2>
    <ol class="timeline">${order.timeline.map((entry) => html`<li>
      ${time(entry.at)} <strong>${spaced(entry.type)}</strong>
      <span class="actor">by ${entry.actorName ?? entry.actor}${entry.actorName ? html` <code>${entry.actor}</code>` : nothing}${entry.author ? html` (${entry.author})` : nothing}</span>
      <div class="details">${entry.details}</div></li>`)}</ol>

    <h2>Events</h2>
    <div class="table"><table>
      <caption>What the back-ends were told, in sequence${events.events.length === 100 ? ' (the first 100)' : ''}</caption>
      <thead><tr><th scope="col">#</th><th scope="col">Type</th><th scope="col">Time</th><th scope="col">Event id</th></tr></thead>
      <tbody>${events.events.map((e) => html`<tr><td class="n">${e.sequence}</td><td><code>${e.type}</code></td><td>${time(e.time)}</td><td><code>${e.id}</code></td></tr>`)}</tbody>
    </table></div>`, ctx.main);
}

function delivery(d) {
  if (d.method === 'clickAndCollect') return html`click and collect at <code>${d.pickupLocationId}</code>`;
  const a = d.address;
  return a ? html`ship to home: ${a.line1}, ${a.postalCode ?? ''} ${a.city}, ${a.countryCode}` : spaced(d.method);
}

function cancellable(line) {
  return line.quantity - line.cancelledQuantity - line.shippedQuantity - line.deliveredQuantity - line.collectedQuantity;
}

function returnable(order, line) {
  const taken = (order.returns ?? []).filter((r) => !closedReturn.has(r.status))
    .flatMap((r) => r.lines).filter((l) => l.lineId === line.lineId).reduce((n, l) => n + l.quantity, 0);
  return Math.max(0, line.deliveredQuantity + line.collectedQuantity - taken);
}

function fulfilment(f, order) {
  const sku = (lineId) => order.lines.find((l) => l.lineId === lineId)?.sku ?? '?';
  return html`<section class="card" aria-label=${`Fulfilment ${f.fulfilmentId}`}>
    <h3><code>${f.fulfilmentId}</code> ${spaced(f.mode)} from <code>${f.locationId}</code> ${badge(f.status)}</h3>
    <dl class="summary">
      <div><dt>Units</dt><dd>${f.lines.map((l) => html`<div>line ${l.lineId} · <code>${sku(l.lineId)}</code> ×${l.quantity}</div>`)}
        ${f.cancelledLines?.length ? html`<div class="muted">cancelled: ${f.cancelledLines.map((l) => `line ${l.lineId} ×${l.quantity}`).join(', ')}</div>` : nothing}</dd></div>
      ${f.pickupLocationId ? html`<div><dt>Pickup at</dt><dd><code>${f.pickupLocationId}</code></dd></div>` : nothing}
      ${f.pickupCode ? html`<div><dt>Pickup code</dt><dd><code class="code">${f.pickupCode}</code></dd></div>` : nothing}
      <div><dt>Requested</dt><dd>${time(f.requestedAt)}</dd></div>
      ${f.acceptBy ? html`<div><dt>Accept by</dt><dd>${time(f.acceptBy)}</dd></div>` : nothing}
      ${f.collectBy ? html`<div><dt>Collect by</dt><dd>${time(f.collectBy)}</dd></div>` : nothing}
      ${f.shipment ? html`<div><dt>Tracking</dt><dd>${trackingLink(f.shipment)}</dd></div>` : nothing}
      ${f.rejectionReason ? html`<div><dt>Rejected</dt><dd>${spaced(f.rejectionReason)}</dd></div>` : nothing}
      ${f.splitFrom ? html`<div><dt>Split from</dt><dd><code>${f.splitFrom}</code></dd></div>` : nothing}
    </dl>
    ${f.explanation ? explanation(f.explanation) : nothing}
  </section>`;
}

/** The sourcing decision in words: the rule, then each location considered and why it won, lost or was left out. */
function explanation(e) {
  return html`<details><summary>Why from here: ${e.rule}</summary>
    <p>Profile <code>${e.profileId ?? 'default'}</code>.</p>
    <ul class="candidates">${(e.candidates ?? []).map((c) => html`<li>
      <code>${c.locationId}</code> was <strong>${c.verdict}</strong>: ${c.reason}${c.distanceKm !== undefined && c.distanceKm !== null ? ` (${c.distanceKm} km away)` : ''}.</li>`)}</ul>
  </details>`;
}

function aftercare(order) {
  const returns = order.returns ?? [], refunds = order.refunds ?? [], exchanges = order.exchanges ?? [], charges = order.charges ?? [];
  return html`
    <h2>Returns</h2>
    ${returns.length ? html`<div class="table"><table>
      <thead><tr><th scope="col">Return</th><th scope="col">Status</th><th scope="col">Method</th><th scope="col">At</th><th scope="col">Units</th>
        <th scope="col">Expires</th><th scope="col">Refund estimate</th></tr></thead>
      <tbody>${returns.map((r) => html`<tr><td><code>${r.returnId}</code></td><td>${badge(r.status)}</td><td>${spaced(r.method)}</td><td><code>${r.locationId}</code></td>
        <td>${r.lines.map((l) => html`<div>line ${l.lineId} · <code>${l.sku}</code> ×${l.quantity}, ${spaced(l.reason)}; received ${l.received}${l.damaged ? `, ${l.damaged} damaged` : ''}</div>`)}</td>
        <td>${time(r.expiresAt)}</td><td class="n">${r.refund ? money(r.refund.estimated, r.refund.currency) : ''}</td></tr>`)}</tbody></table></div>` : html`<p>None.</p>`}
    <h2>Refunds</h2>
    ${refunds.length ? html`<div class="table"><table>
      <thead><tr><th scope="col">Refund</th><th scope="col">Status</th><th scope="col">Amount</th><th scope="col">Why</th><th scope="col">Requested</th><th scope="col">Reference</th></tr></thead>
      <tbody>${refunds.map((r) => html`<tr><td><code>${r.refundId}</code></td><td>${badge(r.status)}</td><td class="n">${money(r.amount, r.currency)}</td>
        <td>${spaced(r.reason)}${r.returnId ? html` · <code>${r.returnId}</code>` : nothing}</td><td>${time(r.requestedAt)}</td><td>${r.reference ?? ''}</td></tr>`)}</tbody></table></div>` : html`<p>None.</p>`}
    ${exchanges.length ? html`<h2>Exchanges</h2><div class="table"><table>
      <thead><tr><th scope="col">Exchange</th><th scope="col">Status</th><th scope="col">Mode</th><th scope="col">Lines</th><th scope="col">Difference</th><th scope="col">Return</th></tr></thead>
      <tbody>${exchanges.map((x) => html`<tr><td><code>${x.exchangeId}</code></td><td>${badge(x.status)}</td><td>${spaced(x.mode)}</td>
        <td>${x.lines.map((l) => html`<div>line ${l.lineId} ×${l.quantity} → line ${l.newLineId} · <code>${l.newSku}</code> (${spaced(l.reason)})</div>`)}</td><td class="n">${x.difference}</td><td><code>${x.returnId ?? ''}</code></td></tr>`)}</tbody></table></div>` : nothing}
    ${charges.length ? html`<h2>Charges</h2><ul>${charges.map((c) => html`<li><code>${c.chargeId}</code> ${money(c.amount, c.currency)}: ${c.reason}</li>`)}</ul>` : nothing}`;
}

// The actions. Each asks first, sends one idempotent call, and answers with what the timeline will now show.

async function cancelLine(ctx, order, line) {
  const max = cancellable(line);
  const attempt = newId('care-cancel');
  return ctx.ask({
    title: `Cancel line ${line.lineId} (${line.sku})`,
    confirm: 'Cancel line',
    body: html`<p>Up to ${max} unit${max === 1 ? '' : 's'} can still be cancelled; their stock is released at once.</p>
      <label for="c-qty">Quantity</label><input id="c-qty" name="quantity" type="number" min="1" max=${max} .value=${String(max)} required>
      <label for="c-reason">Reason</label><input id="c-reason" name="reason" maxlength="500" required .value=${'customer request'}>`,
    action: async (form) => {
      const quantity = Number(form.get('quantity'));
      await post(`/api/v1/orders/${encodeURIComponent(order.orderId)}/cancel`,
        { reason: form.get('reason'), lines: [{ lineId: line.lineId, quantity }] }, { idempotencyKey: attempt });
      return `Cancelled ${quantity} unit${quantity === 1 ? '' : 's'} of line ${line.lineId}.`;
    },
  });
}

async function cancelOrder(ctx, order) {
  const attempt = newId('care-cancel');
  return ctx.ask({
    title: `Cancel order ${order.orderId}`,
    confirm: 'Cancel order',
    body: html`<p>Every unit not yet shipped is cancelled and its stock released; a shipped parcel is intercepted.</p>
      <label for="co-reason">Reason</label><input id="co-reason" name="reason" maxlength="500" required .value=${'customer request'}>`,
    action: async (form) => {
      await post(`/api/v1/orders/${encodeURIComponent(order.orderId)}/cancel`, { reason: form.get('reason') }, { idempotencyKey: attempt });
      return 'The order is cancelled.';
    },
  });
}

async function addNote(ctx, order) {
  return ctx.ask({
    title: 'Add a note to the timeline',
    confirm: 'Add note',
    body: html`<label for="n-text">Note</label><textarea id="n-text" name="text" rows="4" maxlength="2000" required></textarea>`,
    action: async (form) => {
      await post(`/api/v1/orders/${encodeURIComponent(order.orderId)}/notes`, { text: form.get('text') });
      return 'Note added.';
    },
  });
}

/** The lines with units the customer has, or every line, so the OMS can say why it refuses. */
function returnableLines(order) {
  const lines = order.lines.filter((l) => returnable(order, l) > 0);
  return lines.length ? lines : order.lines;
}

function reasonField(id) {
  return html`<label for=${id}>Reason</label>
    <select id=${id} name="reason">${reasons.map((r) => html`<option value=${r}>${spaced(r)}</option>`)}</select>`;
}

function methodField(id, label) {
  return html`<label for=${id}>${label}</label>
    <select id=${id} name="method"><option value="dropOff">drop off at a boutique</option><option value="shipBack">ship back by carrier</option></select>`;
}

function returnLocation(order) {
  return order.delivery.pickupLocationId ?? order.fulfilments.find((f) => f.mode === 'ship')?.locationId ?? '';
}

async function authoriseReturn(ctx, order) {
  const lines = returnableLines(order);
  const attempt = newId('care-return');
  return ctx.ask({
    title: 'Authorise a return',
    confirm: 'Authorise return',
    body: html`<fieldset><legend>Units to return</legend>
        ${lines.map((l) => html`<label for=${`r-${l.lineId}`}>Line ${l.lineId} · ${l.sku} (up to ${returnable(order, l)})</label>
          <input id=${`r-${l.lineId}`} name=${`qty:${l.lineId}`} type="number" min="0" max=${returnable(order, l) || 1} .value=${String(returnable(order, l))}>`)}
      </fieldset>
      ${reasonField('r-reason')}
      ${methodField('r-method', 'Method')}
      <label for="r-location">Receiving location</label><input id="r-location" name="locationId" required maxlength="64" .value=${returnLocation(order)}>
      <label for="r-note">Note</label><input id="r-note" name="note" maxlength="500">`,
    action: async (form) => {
      const body = {
        lines: [...form.entries()].filter(([k, v]) => k.startsWith('qty:') && Number(v) > 0)
          .map(([k, v]) => ({ lineId: k.slice(4), quantity: Number(v), reason: form.get('reason') })),
        method: form.get('method'),
        locationId: form.get('locationId'),
        note: form.get('note') || null,
      };
      const created = await post(`/api/v1/orders/${encodeURIComponent(order.orderId)}/returns`, body, { idempotencyKey: attempt });
      return `Return ${created.returnId} authorised.`;
    },
  });
}

async function startExchange(ctx, order) {
  const lines = returnableLines(order);
  const attempt = newId('care-exchange');
  return ctx.ask({
    title: 'Start an exchange',
    confirm: 'Start exchange',
    body: html`
      <label for="x-line">Line</label>
      <select id="x-line" name="lineId">${lines.map((l) => html`<option value=${l.lineId}>line ${l.lineId} · ${l.sku}</option>`)}</select>
      <label for="x-qty">Quantity</label><input id="x-qty" name="quantity" type="number" min="1" max="100" value="1" required>
      <label for="x-sku">New SKU</label><input id="x-sku" name="newSku" required maxlength="64">
      <label for="x-price">Unit price</label><input id="x-price" name="unitPrice" type="number" step="0.01" min="0" required .value=${String(lines[0]?.unitPrice ?? '')}>
      ${reasonField('x-reason')}
      <label for="x-mode">Replacement</label>
      <select id="x-mode" name="mode"><option value="afterReturn">after the return arrives</option><option value="advance">now, in advance</option></select>
      ${methodField('x-method', 'Return method')}
      <label for="x-location">Receiving location</label><input id="x-location" name="locationId" required maxlength="64" .value=${returnLocation(order)}>`,
    action: async (form) => {
      const exchange = await post(`/api/v1/orders/${encodeURIComponent(order.orderId)}/exchanges`, {
        lines: [{ lineId: form.get('lineId'), quantity: Number(form.get('quantity')), newSku: form.get('newSku'),
          unitPrice: Number(form.get('unitPrice')), reason: form.get('reason') }],
        mode: form.get('mode'), method: form.get('method'), locationId: form.get('locationId'),
      }, { idempotencyKey: attempt });
      return `Exchange ${exchange.exchangeId ?? ''} started.`;
    },
  });
}

async function resource(ctx, order) {
  return ctx.ask({
    title: `Re-source order ${order.orderId}`,
    confirm: 'Re-source',
    body: html`<p>The waiting lines are sourced again now, from any location that has the units.</p>`,
    action: async () => {
      await post(`/api/v1/orders/${encodeURIComponent(order.orderId)}/resource`);
      return 'Re-sourced.';
    },
  });
}

async function changePickup(ctx, order) {
  let boutiques = [];
  try {
    boutiques = (await get('/api/v1/locations')).locations
      .filter((l) => l.type === 'boutique' && l.status === 'active' && l.capabilities.includes('clickAndCollect') && l.locationId !== order.delivery.pickupLocationId);
  } catch {
    boutiques = [];
  }
  const attempt = newId('care-pickup');
  return ctx.ask({
    title: 'Change the pickup boutique',
    confirm: 'Change pickup boutique',
    body: html`<p>Now <code>${order.delivery.pickupLocationId}</code>. The order is sourced again for the new boutique: its own stock first, or a transfer.</p>
      <label for="p-location">New pickup boutique</label>
      <input id="p-location" name="locationId" list="p-boutiques" required maxlength="64" autocomplete="off">
      <datalist id="p-boutiques">${boutiques.map((b) => html`<option value=${b.locationId}>${b.name}</option>`)}</datalist>
      <label for="p-reason">Reason</label><input id="p-reason" name="reason" maxlength="500" .value=${'customer asked'}>`,
    action: async (form) => {
      await post(`/api/v1/orders/${encodeURIComponent(order.orderId)}/pickup-location`,
        { locationId: form.get('locationId'), reason: form.get('reason') || null }, { idempotencyKey: attempt });
      return `Pickup moved to ${form.get('locationId')}.`;
    },
  });
}

