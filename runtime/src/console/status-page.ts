/*
 * The console's status page: one HTML file and one script that poll the API, charts drawn with
 * uPlot (served from the console's own node_modules: no CDN, works offline). No build step.
 */

export const STATUS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Migration status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/uPlot.min.css">
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem 2rem;color:#1b1b1b;max-width:80rem}
h1{font-size:1.4rem;margin-bottom:.2rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #ccc;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.3rem 0}td,th{padding:.2rem .7rem;border-bottom:1px solid #e3e3e3;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#0a7d32}.bad{color:#b00020}.warn{color:#a05a00}.muted{color:#777}
.sides{display:flex;gap:1.5rem;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:18rem}
.card .big{font-size:1.6rem;font-variant-numeric:tabular-nums}
.charts{display:flex;gap:1.5rem;flex-wrap:wrap}.chart{min-height:40px}
.matrix td.n{min-width:3rem}.matrix td.same{background:#e3f4e8}.matrix td.diff{background:#fbe3e6}
</style></head><body>
<h1>Migration status</h1>
<p class="muted" id="updated">loading…</p>

<h2>Clusters</h2>
<div class="sides">
  <div class="card" id="card-source"><b>Source</b><div class="muted">-</div></div>
  <div class="card" id="card-target"><b>Target</b><div class="muted">-</div></div>
</div>
<table id="indices"></table>

<h2>Backfill</h2>
<p id="backfill-service" class="muted">-</p>
<div class="charts"><div><b>Documents copied per index</b><div class="chart" id="chart-backfill"></div></div></div>
<table id="backfill-items"></table>

<h2>Replay</h2>
<p id="replay-service" class="muted">-</p>
<p id="kafka-topic" class="muted">-</p>
<div class="charts">
  <div><b>Replay throughput (records/s)</b><div class="chart" id="chart-throughput"></div></div>
  <div><b>Kafka lag (records)</b><div class="chart" id="chart-lag"></div></div>
</div>

<h2>Replay results</h2>
<p id="tuples-summary" class="muted">-</p>
<div class="sides">
  <div><b>Status agreement (rows: source, columns: target)</b><table class="matrix" id="status-matrix"></table></div>
  <div><b>Median latency</b><table id="latency"></table></div>
</div>

<section id="comparison">
<h2>Comparison (tuples report)</h2>
<p id="report-summary" class="muted">-</p>
<div class="sides">
  <div><b>Verdicts by class</b><table class="matrix" id="verdict-matrix"></table></div>
  <div><b>Latency, source vs target (ms)</b><table id="report-latency"></table></div>
</div>
<div class="charts"><div><b>Latency distribution, all classes (requests per bucket)</b><div class="chart" id="chart-latency"></div></div></div>
<ul id="report-reasons" class="muted"></ul>
<p class="muted"><a href="/api/tuples/report?format=html">The full report</a> (one self-contained page).</p>
</section>
<script src="/assets/uPlot.iife.min.js"></script>
<script src="/assets/status-page.js"></script>
</body></html>`;

export const STATUS_PAGE_SCRIPT = `'use strict';
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const $ = (id) => document.getElementById(id);
const fmt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '-');
async function get(path) {
  const r = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.message || 'HTTP ' + r.status);
  return body;
}
function row(cells, attrs) { return '<tr' + (attrs || '') + '>' + cells.join('') + '</tr>'; }
const td = (v, cls) => '<td' + (cls ? ' class="' + cls + '"' : '') + '>' + v + '</td>';
const failed = (e) => '<span class="bad">' + esc(e.message) + '</span>';

const charts = {};
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
/** Draws (or redraws) one time chart; a change of series makes a new chart. */
function draw(id, names, data) {
  const el = $(id);
  el.dataset.points = String(data[0].length);
  el.dataset.last = JSON.stringify(data.slice(1).map((s) => s[s.length - 1] ?? null));
  const key = names.join('\\u0000');
  let c = charts[id];
  if (c && c.key !== key) { c.plot.destroy(); c = undefined; }
  if (!c) {
    el.textContent = '';
    const opts = { width: Math.min(560, window.innerWidth - 60), height: 220, scales: { x: { time: true } },
      series: [{}, ...names.map((n, i) => ({ label: n, stroke: COLORS[i % COLORS.length], width: 2, points: { show: data[0].length < 40 } }))],
      axes: [{}, { size: 70 }] };
    c = charts[id] = { key, plot: new uPlot(opts, data, el) };
  } else c.plot.setData(data);
}

async function clusters() {
  let checks = [];
  try { checks = (await get('/api/clusters/connection-check')).clusters; } catch (e) { $('card-source').innerHTML = '<b>Clusters</b><div>' + failed(e) + '</div>'; return; }
  let idx = {};
  try { idx = await get('/api/clusters/cat-indices'); } catch (e) { $('indices').innerHTML = row([td(failed(e))]); }
  for (const side of ['source', 'target']) {
    const c = checks.find((x) => x.cluster === side);
    const card = $('card-' + side);
    if (!c) { card.innerHTML = '<b>' + side + '</b><div class="muted">not in services.yaml</div>'; continue; }
    const docs = (idx[side] || []).reduce((n, r) => n + r.docs, 0);
    card.innerHTML = '<b>' + (side === 'source' ? 'Source' : 'Target') + '</b> <span class="muted">' + esc(c.endpoint) + '</span>' +
      (c.ok ? '<div>' + esc(c.version) + ', health <span id="' + side + '-health" class="' + (c.health === 'green' ? 'ok' : c.health === 'red' ? 'bad' : 'warn') + '">' + esc(c.health || 'n/a') + '</span></div>' +
        '<div class="big" id="' + side + '-docs" data-value="' + docs + '">' + fmt(docs) + '</div><div class="muted">documents in ' + (idx[side] || []).length + ' indices</div>'
        : '<div class="bad">unreachable: ' + esc(c.error) + '</div>');
  }
  const names = [...new Set([...(idx.source || []), ...(idx.target || [])].map((r) => r.index))].sort();
  const docsOf = (side, n) => (idx[side] || []).find((r) => r.index === n)?.docs;
  $('indices').innerHTML = '<tr><th>index</th><th class="n">source docs</th><th class="n">target docs</th><th></th></tr>' + names.map((n) => {
    const s = docsOf('source', n), t = docsOf('target', n);
    return row([td(esc(n)), td(fmt(s), 'n'), td(fmt(t), 'n'), td(s === t ? '<span class="ok">same</span>' : '<span class="warn">' + (t === undefined ? 'not on target' : s === undefined ? 'only on target' : fmt(t - s)) + '</span>')], ' data-index="' + esc(n) + '"');
  }).join('');
}

let watch = { topic: 'logging-traffic-topic', group: 'logging-group-default', workingStateIndex: '.migrations_working_state' };
const serviceLine = (s) => esc(s.service) + ' (' + esc(s.where) + '): desired ' + s.desired + ', running ' + s.running + (s.pending ? ', pending ' + s.pending : '');
async function backfill() {
  try {
    const st = await get('/api/backfill/status?deepCheck=true&workingStateIndex=' + encodeURIComponent(watch.workingStateIndex));
    $('backfill-service').innerHTML = serviceLine(st);
    const w = st.workingState;
    $('backfill-items').innerHTML = !w ? row([td('<span class="muted">no backfill has started</span>')]) :
      '<tr><th>index</th><th class="n">items done</th><th class="n">leased</th><th class="n">left</th><th class="n">docs copied</th><th class="n">of about</th></tr>' +
      [...w.indices, { index: 'all', ...w.total }].map((i) => row([td(esc(i.index)), td(i.done, 'n'), td(i.leased, 'n'), td(i.left, 'n'), td(fmt(i.docsDone), 'n'), td(fmt(i.docsTotal), 'n')], ' data-index="' + esc(i.index) + '"')).join('');
  } catch (e) { $('backfill-service').innerHTML = failed(e); }
}
async function replay() {
  try { $('replay-service').innerHTML = serviceLine(await get('/api/replay/status')); } catch (e) { $('replay-service').innerHTML = failed(e); }
  try {
    const k = await get('/api/kafka/describe-topic?topic=' + encodeURIComponent(watch.topic) + '&group=' + encodeURIComponent(watch.group));
    $('kafka-topic').innerHTML = esc(k.topic) + ': <span id="kafka-records">' + k.records + '</span> records, replayer lag <span id="kafka-lag">' + k.lag + '</span>';
  } catch (e) { $('kafka-topic').innerHTML = failed(e); }
}
async function tuples() {
  let s;
  try { s = await get('/api/tuples/summary'); } catch (e) { $('tuples-summary').innerHTML = failed(e); return; }
  $('tuples-summary').innerHTML = '<span id="tuples-count">' + s.tuples + '</span> requests replayed: ' + s.statusMatches + ' same status, ' + s.statusMismatches + ' different, ' + s.errors + ' with errors';
  const cell = new Map();
  const src = new Set(), tgt = new Set();
  for (const p of s.statusPairs) { const a = p.source ?? '-', b = p.target ?? '-'; src.add(a); tgt.add(b); cell.set(a + ' ' + b, (cell.get(a + ' ' + b) || 0) + p.count); }
  const cols = [...tgt].sort(), rows = [...src].sort();
  $('status-matrix').innerHTML = '<tr><th></th>' + cols.map((c) => '<th class="n">' + esc(c) + '</th>').join('') + '</tr>' +
    rows.map((r) => row(['<th>' + esc(r) + '</th>', ...cols.map((c) => { const n = cell.get(r + ' ' + c); return td(n ? fmt(n) : '', 'n ' + (n ? (r === c ? 'same' : 'diff') : '')); })])).join('');
  $('latency').innerHTML = row([td('source'), td((s.sourceLatencyMsP50 ?? '-') + ' ms', 'n')]) + row([td('target'), td((s.targetLatencyMsP50 ?? '-') + ' ms', 'n')]);
}
let reportAt = 0;
// The report reads every tuple: fetched on load, then every 30 s rather than at each refresh.
async function report() {
  if (Date.now() - reportAt < 30000) return;
  reportAt = Date.now();
  let r;
  try { r = await get('/api/tuples/report'); } catch (e) { $('report-summary').innerHTML = failed(e); return; }
  const t = r.totals;
  $('report-summary').innerHTML = '<span id="report-tuples">' + r.tuples + '</span> requests compared: ' + fmt(t.same) + ' same, ' + fmt(t.expected) + ' expected, <span class="' + (t.different ? 'bad' : 'ok') + '">' + fmt(t.different) + ' different</span>';
  const cells = (c) => [td(fmt(c.same), 'n same'), td(fmt(c.expected), 'n'), td(fmt(c.different), 'n' + (c.different ? ' diff' : '')), td(fmt(c.same + c.expected + c.different), 'n')];
  $('verdict-matrix').innerHTML = '<tr><th>class</th><th class="n">same</th><th class="n">expected</th><th class="n">different</th><th class="n">total</th></tr>' +
    r.byClass.map((c) => row([td(esc(c.label)), ...cells(c)], ' data-class="' + esc(c.class) + '"')).join('') +
    row(['<th>all</th>', ...cells(t)], ' data-class="all"');
  const ms = (v) => (v === null || v === undefined ? '-' : fmt(Math.round(v * 10) / 10));
  const p = (x) => [td(ms(x.p50), 'n'), td(ms(x.p90), 'n'), td(ms(x.p99), 'n')];
  $('report-latency').innerHTML = '<tr><th></th><th class="n" colspan="3">source p50 / p90 / p99</th><th class="n" colspan="3">target p50 / p90 / p99</th></tr>' +
    r.latency.map((l) => row([td(esc(l.label)), ...p(l.source), ...p(l.target)], ' data-class="' + esc(l.class) + '"')).join('');
  $('report-reasons').innerHTML = r.expectedReasons.map((x) => '<li>expected x' + fmt(x.count) + ': ' + esc(x.text) + '</li>').join('');
  const sum = (side) => r.latencyBucketsMs.concat([null]).map((_, i) => r.latency.reduce((n, l) => n + (l[side].histogram[i] || 0), 0));
  histogram('chart-latency', r.latencyBucketsMs, sum('source'), sum('target'));
}
/** Requests per latency bucket, source and target side by side as bars. */
function histogram(id, bounds, source, target) {
  const el = $(id);
  el.dataset.source = JSON.stringify(source);
  el.dataset.target = JSON.stringify(target);
  const labels = bounds.map((b) => '<=' + b).concat(['>' + bounds[bounds.length - 1]]);
  const xs = labels.map((_, i) => i);
  if (charts[id]) charts[id].plot.destroy();
  el.textContent = '';
  const opts = { width: Math.min(760, window.innerWidth - 60), height: 220, scales: { x: { time: false, range: [-0.5, labels.length - 0.5] } },
    series: [{ label: 'latency', value: (u, v) => (v === null ? '' : labels[v] + ' ms') },
      { label: 'source', stroke: COLORS[0], fill: COLORS[0] + '99', paths: uPlot.paths.bars({ size: [0.4, 40], align: -1 }), points: { show: false } },
      { label: 'target', stroke: COLORS[1], fill: COLORS[1] + '99', paths: uPlot.paths.bars({ size: [0.4, 40], align: 1 }), points: { show: false } }],
    axes: [{ values: (u, vals) => vals.map((v) => (Number.isInteger(v) && labels[v] ? labels[v] : '')), incrs: [1] }, { size: 60 }] };
  charts[id] = { key: 'histogram', plot: new uPlot(opts, [xs, source, target], el) };
}
async function history() {
  let h;
  try { h = await get('/api/status/history'); } catch (e) { $('chart-backfill').innerHTML = failed(e); return; }
  watch = { topic: h.topic, group: h.group, workingStateIndex: h.workingStateIndex };
  const xs = h.samples.map((s) => s.t / 1000);
  const withBackfill = h.samples.filter((s) => s.backfill);
  if (withBackfill.length) {
    const names = [...new Set(withBackfill.flatMap((s) => Object.keys(s.backfill)))].sort();
    draw('chart-backfill', names, [withBackfill.map((s) => s.t / 1000), ...names.map((n) => withBackfill.map((s) => s.backfill[n] ?? null))]);
  } else $('chart-backfill').innerHTML = '<span class="muted">' + esc(h.notes.backfill || 'no samples yet') + '</span>';
  const k = h.samples.filter((s) => s.kafka);
  if (k.length) {
    const rate = k.map((s, i) => (i === 0 ? null : Math.max(0, ((s.kafka.replayed - k[i - 1].kafka.replayed) * 1000) / Math.max(1, s.t - k[i - 1].t))));
    draw('chart-throughput', ['records/s'], [k.map((s) => s.t / 1000), rate]);
    draw('chart-lag', ['lag'], [k.map((s) => s.t / 1000), k.map((s) => s.kafka.lag)]);
  } else for (const id of ['chart-throughput', 'chart-lag']) $(id).innerHTML = '<span class="muted">' + esc(h.notes.kafka || 'no samples yet') + '</span>';
  return xs.length;
}
async function refresh() {
  await history();
  await Promise.all([clusters(), backfill(), replay(), tuples(), report()]);
  $('updated').textContent = 'updated ' + new Date().toLocaleTimeString() + ' (every 5 s)';
  $('updated').dataset.refreshes = String(Number($('updated').dataset.refreshes || 0) + 1);
}
refresh();
setInterval(refresh, 5000);
`;
