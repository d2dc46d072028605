/** The console's status page: one HTML file that polls the API; no build step, no assets. */
export const STATUS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Migration status</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#1b1b1b;max-width:70rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}
table{border-collapse:collapse}td,th{padding:.25rem .8rem;border-bottom:1px solid #ddd;text-align:left}
.ok{color:#0a7d32}.bad{color:#b00020}.muted{color:#777}
</style></head><body>
<h1>Migration status</h1>
<p class="muted" id="updated">loading…</p>
<h2>Clusters</h2><table id="clusters"></table>
<h2>Services</h2><table id="services"></table>
<h2>Captured traffic</h2><div id="kafka" class="muted">-</div>
<h2>Replay results</h2><div id="tuples" class="muted">-</div>
<h2>Indices</h2><table id="indices"></table>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
async function get(path) { const r = await fetch(path); const body = await r.json(); if (!r.ok) throw new Error(body.message || r.status); return body; }
function row(cells) { return '<tr>' + cells.map((c) => '<td>' + c + '</td>').join('') + '</tr>'; }
async function refresh() {
  try {
    const checks = await get('/api/clusters/connection-check');
    document.getElementById('clusters').innerHTML = checks.map((c) => row([esc(c.cluster), esc(c.endpoint),
      c.ok ? '<span class="ok">' + esc(c.version) + ', ' + esc(c.health) + '</span>' : '<span class="bad">' + esc(c.error) + '</span>'])).join('');
  } catch (e) { document.getElementById('clusters').innerHTML = row(['<span class="bad">' + esc(e.message) + '</span>']); }
  const services = [];
  for (const s of ['backfill', 'replay']) {
    try { const st = await get('/api/' + s + '/status'); services.push(row([s, esc(st.where), 'desired ' + st.desired, 'running ' + st.running])); }
    catch (e) { services.push(row([s, '<span class="muted">' + esc(e.message) + '</span>'])); }
  }
  document.getElementById('services').innerHTML = services.join('');
  get('/api/kafka/topic').then((k) => { document.getElementById('kafka').textContent = k.topic + ': ' + k.records + ' records, replayer lag ' + k.lag; })
    .catch((e) => { document.getElementById('kafka').textContent = e.message; });
  get('/api/tuples/summary').then((t) => { document.getElementById('tuples').textContent = t.tuples + ' requests replayed: ' + t.statusMatches + ' same status, ' + t.statusMismatches + ' different'; })
    .catch((e) => { document.getElementById('tuples').textContent = e.message; });
  get('/api/clusters/indices').then((idx) => {
    const names = new Set([...(idx.source || []), ...(idx.target || [])].map((r) => r.index));
    const docs = (side, n) => (idx[side] || []).find((r) => r.index === n)?.docs ?? '-';
    document.getElementById('indices').innerHTML = '<tr><th>index</th><th>source docs</th><th>target docs</th></tr>' +
      [...names].sort().map((n) => { const s = docs('source', n), t = docs('target', n);
        return row([esc(n), s, '<span class="' + (s === t ? 'ok' : 'bad') + '">' + t + '</span>']); }).join('');
  }).catch(() => {});
  document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
}
refresh(); setInterval(refresh, 5000);
</script></body></html>`;
