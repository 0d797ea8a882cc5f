import { html, render, nothing } from '../vendor/lit-html-3.3.3.js';
import { get, newId, post, query } from '../api.js';
import { badge, orderLink, spaced, time } from '../format.js';

// The next steps a boutique takes, by where a fulfilment is; the OMS refuses any the fulfilment cannot take.
function steps(f) {
  if (f.incoming) {
    return f.status === 'shipped' ? ['received'] : f.status === 'received' ? ['readyForPickup'] : f.status === 'readyForPickup' ? ['collected'] : [];
  }
  switch (f.status) {
    case 'requested': return ['accepted', 'rejected'];
    case 'accepted': return f.mode === 'pickup' ? ['readyForPickup', 'rejected'] : ['packed', 'shipped', 'rejected'];
    case 'packed': return f.mode === 'pickup' ? ['readyForPickup'] : ['shipped'];
    case 'readyForPickup': return ['collected'];
    default: return [];
  }
}

const verbs = { accepted: 'Accept', rejected: 'Reject', packed: 'Packed', shipped: 'Shipped', received: 'Received', readyForPickup: 'Ready for pickup', collected: 'Collected' };

export async function queuePage(ctx, locationId) {
  document.title = `Boutique queue ${locationId} · Oms care console`;
  const mine = ctx.session.locationIds ?? [];
  if (!locationId) {
    render(html`<h1>Boutique queue</h1><p>This credential acts for no boutique.</p>`, ctx.main);
    return;
  }
  const enc = encodeURIComponent(locationId);
  const [work, returns] = await Promise.all([
    get(`/api/v1/locations/${enc}/fulfilments?limit=100`),
    get(`/api/v1/returns${query({ locationId, limit: 100 })}`),
  ]);
  const flash = ctx.takeFlash();
  const done = async (message) => {
    if (message) {
      ctx.say(message);
      await ctx.reload();
    }
  };

  render(html`
    <h1>Boutique queue <code>${locationId}</code></h1>
    ${mine.length > 1 ? html`<nav aria-label="Boutiques"><ul class="inline">${mine.map((l) => html`<li><a href=${`#/queue/${encodeURIComponent(l)}`} aria-current=${l === locationId ? 'page' : 'false'}>${l}</a></li>`)}</ul></nav>` : nothing}
    ${flash ? html`<p role="status" class="flash">${flash}</p>` : nothing}
    <h2>Fulfilments to work on</h2>
    ${work.items.length ? html`<div class="table"><table>
      <thead><tr><th scope="col">Order</th><th scope="col">Fulfilment</th><th scope="col">Mode</th><th scope="col">Status</th><th scope="col">Units</th>
        <th scope="col">Customer</th><th scope="col">Accept by</th><th scope="col">Collect by</th><th scope="col">Next step</th></tr></thead>
      <tbody>${work.items.map((f) => html`<tr>
        <td>${orderLink(f.orderId)}</td><td><code>${f.fulfilmentId}</code></td><td>${spaced(f.mode)}${f.incoming ? ' (incoming)' : ''}</td><td>${badge(f.status)}</td>
        <td>${f.lines.map((l) => html`<div><code>${l.sku}</code> ×${l.quantity}</div>`)}</td><td>${f.customerName ?? ''}</td>
        <td>${time(f.acceptBy)}</td><td>${time(f.collectBy)}</td>
        <td class="buttons">${steps(f).map((step) => html`<button type="button" class="small"
          aria-label=${`${verbs[step]} ${f.orderId} ${f.fulfilmentId}`} @click=${async () => done(await report(ctx, f, step))}>${verbs[step]}</button>`)}</td></tr>`)}</tbody>
    </table></div>` : html`<p>Nothing to do.</p>`}
    <h2>Returns to receive</h2>
    ${returns.items.length ? html`<div class="table"><table>
      <thead><tr><th scope="col">Return</th><th scope="col">Order</th><th scope="col">Status</th><th scope="col">Method</th><th scope="col">Units</th><th scope="col">Expires</th><th scope="col"><span class="sr">Action</span></th></tr></thead>
      <tbody>${returns.items.map((r) => html`<tr><td><code>${r.returnId}</code></td><td>${orderLink(r.orderId)}</td><td>${badge(r.status)}</td><td>${spaced(r.method)}</td>
        <td>${r.lines.map((l) => html`<div><code>${l.sku}</code> ×${l.quantity} (received ${l.received})</div>`)}</td><td>${time(r.expiresAt)}</td>
        <td><button type="button" class="small" aria-label=${`Receive ${r.returnId}`} @click=${async () => done(await receive(ctx, r, locationId))}>Receive</button></td></tr>`)}</tbody>
    </table></div>` : html`<p>No return expected here.</p>`}`, ctx.main);
}

async function report(ctx, f, type) {
  const eventId = newId('console');
  const path = `/api/v1/orders/${encodeURIComponent(f.orderId)}/fulfilments/${encodeURIComponent(f.fulfilmentId)}/events`;
  const extra = {
    collected: html`<label for="q-code">Pickup code</label><input id="q-code" name="pickupCode" inputmode="numeric" autocomplete="off" required maxlength="12">`,
    shipped: html`<label for="q-carrier">Carrier</label><input id="q-carrier" name="carrier" maxlength="100" required>
      <label for="q-tracking">Tracking number</label><input id="q-tracking" name="trackingNumber" maxlength="100" required>
      <label for="q-url">Tracking link</label><input id="q-url" name="trackingUrl" type="url" maxlength="2000">`,
    rejected: html`<label for="q-reason">Reason</label><select id="q-reason" name="reason">
      ${['notFound', 'damaged', 'noCapacity', 'other'].map((r) => html`<option value=${r}>${spaced(r)}</option>`)}</select>
      <label for="q-note">Note</label><input id="q-note" name="note" maxlength="500">`,
  }[type] ?? nothing;
  return ctx.ask({
    title: `${verbs[type]}: ${f.orderId} ${f.fulfilmentId}`,
    confirm: verbs[type],
    body: html`<p>${f.lines.map((l) => `${l.sku} ×${l.quantity}`).join(', ')}</p>${extra}`,
    action: async (form) => {
      const body = { eventId, type };
      for (const [name, value] of form.entries()) if (String(value).trim()) body[name] = String(value).trim();
      await post(path, body);
      return `${f.orderId} ${f.fulfilmentId}: ${spaced(type)}.`;
    },
  });
}

async function receive(ctx, r, locationId) {
  const eventId = newId('console-receipt');
  return ctx.ask({
    title: `Receive return ${r.returnId}`,
    confirm: 'Receive',
    body: html`<fieldset><legend>Units in hand</legend>${r.lines.map((l) => html`
      <label for=${`rc-${l.lineId}`}>Line ${l.lineId} · ${l.sku} (expected ${l.quantity - l.received})</label>
      <input id=${`rc-${l.lineId}`} name=${`qty:${l.lineId}`} type="number" min="0" max=${l.quantity - l.received} .value=${String(l.quantity - l.received)}>
      <label for=${`rcc-${l.lineId}`}>Condition of line ${l.lineId}</label>
      <select id=${`rcc-${l.lineId}`} name=${`condition:${l.lineId}`}><option value="resellable">resellable</option><option value="damaged">damaged</option></select>`)}</fieldset>`,
    action: async (form) => {
      const lines = r.lines.map((l) => ({ lineId: l.lineId, quantity: Number(form.get(`qty:${l.lineId}`)), condition: form.get(`condition:${l.lineId}`) }))
        .filter((l) => l.quantity > 0);
      await post(`/api/v1/returns/${encodeURIComponent(r.returnId)}/receive`, { eventId, locationId, lines });
      return `Return ${r.returnId} received.`;
    },
  });
}

