// The status page: one self-contained HTML document (no build step) that polls status.json and
// renders it. Text from upstream is inserted with textContent only, never as HTML.

export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gemwarden status</title>
<style>
  :root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #6e7781; --line: #d0d7de; }
  body { font: 14px/1.45 system-ui, -apple-system, Segoe UI, sans-serif; margin: 0; padding: 20px 28px; }
  h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 24px 0 8px; }
  .sub { color: var(--muted); margin-bottom: 12px; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { font-weight: 600; font-size: 12px; text-transform: uppercase; color: var(--muted); }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; }
  .ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); } .muted { color: var(--muted); }
  .bar { background: #eaeef2; border-radius: 3px; height: 8px; width: 120px; display: inline-block; vertical-align: middle; margin-right: 6px; }
  .bar > span { display: block; height: 100%; border-radius: 3px; background: #2f81f7; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 8px 32px; }
  svg text { font-size: 11px; fill: var(--muted); }
  .legend span { margin-right: 14px; } .legend i { display: inline-block; width: 10px; height: 3px; margin-right: 4px; vertical-align: middle; }
</style>
</head>
<body>
<h1>gemwarden status</h1>
<div class="sub" id="sub">loading…</div>
<h2>Requests, retries and fallbacks (last 10 minutes)</h2>
<div class="legend"><span><i style="background:#2f81f7"></i>requests</span><span><i style="background:#9a6700"></i>retries</span><span><i style="background:#8250df"></i>fallbacks</span><span><i style="background:#cf222e"></i>failed</span></div>
<svg id="chart" width="100%" height="140" viewBox="0 0 600 140" preserveAspectRatio="none" role="img" aria-label="activity chart"></svg>
<h2>Models and projects</h2>
<table id="pairs"><thead><tr><th>project</th><th>model</th><th>circuit</th><th>requests / minute</th><th>tokens / minute</th><th>requests / day</th><th>parked until</th><th>waiting</th></tr></thead><tbody></tbody></table>
<div class="grid">
  <div><h2>Circuits</h2><table id="circuits"><thead><tr><th>model</th><th>state</th><th>failures in a row</th><th>open until</th></tr></thead><tbody></tbody></table></div>
  <div><h2>Keys</h2><table id="keys"><thead><tr><th>key</th><th>project</th><th>state</th></tr></thead><tbody></tbody></table></div>
</div>
<h2>Last errors and what gemwarden did</h2>
<table id="errors"><thead><tr><th>time</th><th>model</th><th>key</th><th>kind</th><th>what happened</th><th>gemwarden</th></tr></thead><tbody></tbody></table>
<h2>Activity</h2>
<table id="activity"><thead><tr><th>time</th><th>event</th></tr></thead><tbody></tbody></table>
<script>
const query = location.search;
const h = (tag, attrs, ...children) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child == null ? '' : String(child)));
  return node;
};
const time = (ms) => typeof ms === 'number' ? new Date(ms).toLocaleTimeString() : (ms || '');
const badge = (text, cls) => h('span', { class: 'badge ' + cls }, text);
const usage = (used, limit) => limit == null ? h('span', { class: 'muted' }, used + ' (no limit)') : h('span', {}, h('span', { class: 'bar' }, h('span', { style: 'width:' + Math.min(100, 100 * used / Math.max(1, limit)) + '%' })), used + ' / ' + limit);
const fill = (id, rows) => { const body = document.querySelector('#' + id + ' tbody'); body.replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: '8', class: 'muted' }, 'nothing yet'))])); };
const circuitBadge = (state) => badge(state, state === 'closed' ? 'ok' : state === 'open' ? 'bad' : 'warn');

function chart(series) {
  const svg = document.getElementById('chart');
  const buckets = series.buckets;
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.requests, b.retries, b.fallbacks, b.failures)));
  const x = (i) => (i / (buckets.length - 1)) * 600;
  const y = (v) => 130 - (v / max) * 120;
  const line = (key, colour) => { const p = document.createElementNS('http://www.w3.org/2000/svg', 'polyline'); p.setAttribute('points', buckets.map((b, i) => x(i) + ',' + y(b[key])).join(' ')); p.setAttribute('fill', 'none'); p.setAttribute('stroke', colour); p.setAttribute('stroke-width', '2'); p.setAttribute('vector-effect', 'non-scaling-stroke'); return p; };
  const label = document.createElementNS('http://www.w3.org/2000/svg', 'text'); label.setAttribute('x', '4'); label.setAttribute('y', '12'); label.textContent = 'max ' + max + ' per 10 s';
  svg.replaceChildren(label, line('requests', '#2f81f7'), line('retries', '#9a6700'), line('fallbacks', '#8250df'), line('failures', '#cf222e'));
}

async function refresh() {
  let data;
  try {
    const response = await fetch('status.json' + query, { cache: 'no-store' });
    if (!response.ok) throw new Error('status.json answered ' + response.status);
    data = await response.json();
  } catch (error) {
    document.getElementById('sub').textContent = 'cannot load status: ' + error.message;
    return;
  }
  document.getElementById('sub').textContent = 'upstream ' + data.upstream + ' · pacing in ' + data.pacingStore + (data.fleet ? ' · fleet state ' + (data.fleet.state === 'shared' ? 'shared through Redis' : data.fleet.state === 'local' ? 'kept per process (Redis away)' : 'in this process only') + ' · this gateway: ' + data.fleet.instanceId : '') + ' · updated ' + time(data.generatedAt);
  chart(data.series);
  fill('pairs', data.pairs.map((p) => h('tr', {}, h('td', {}, p.project), h('td', {}, p.model), h('td', {}, circuitBadge(p.circuit)),
    h('td', {}, p.minute ? usage(p.minute.requests, p.minute.rpm) : '–'), h('td', {}, p.minute ? usage(p.minute.tokens, p.minute.tpm) : '–'),
    h('td', {}, p.day ? usage(p.day.requests, p.day.rpd) : '–'),
    h('td', {}, p.parkedUntil ? h('span', { class: 'bad' }, 'parked until ' + time(p.parkedUntil) + (p.parkedReason ? ' (' + p.parkedReason + ')' : '')) : p.coolingUntil ? h('span', { class: 'warn' }, 'resting until ' + time(p.coolingUntil)) : ''),
    h('td', {}, p.waiting))));
  fill('circuits', data.circuits.map((c) => h('tr', {}, h('td', {}, c.model), h('td', {}, circuitBadge(c.state)), h('td', {}, c.consecutiveFailures), h('td', {}, c.openUntil ? time(c.openUntil) : ''))));
  fill('keys', data.keys.map((k) => h('tr', {}, h('td', {}, k.keyHint), h('td', {}, k.project),
    h('td', {}, k.healthy ? badge('healthy', 'ok') : h('span', {}, badge('out', 'bad'), ' ', (k.outages || []).map((o) => (o.model ? o.model + ': ' : '') + o.reason + ' · out since ' + time(o.since) + ' · next probe ' + time(o.nextProbeAt) + (o.failedProbes ? ' (' + o.failedProbes + ' probes failed)' : '')).join('; ') || k.disabled || Object.entries(k.disabledModels).map(([m, why]) => m + ': ' + why).join('; '))))));
  fill('errors', data.recentErrors.map((e) => h('tr', {}, h('td', {}, time(e.at)), h('td', {}, e.model), h('td', {}, e.keyHint), h('td', {}, badge(e.kind, 'bad')),
    h('td', {}, h('div', {}, e.title), h('div', {}, e.explanation), h('div', { class: 'muted' }, 'Gemini said: ' + e.message)), h('td', {}, e.action))));
  fill('activity', data.activity.map((a) => h('tr', {}, h('td', {}, time(a.at)), h('td', {}, a.text))));
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
`;
