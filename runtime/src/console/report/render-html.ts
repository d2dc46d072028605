import { LATENCY_BUCKETS_MS, TuplesReport, VERDICTS } from './report';
import { escapeXml, groupedBars, Series, stackedBars } from './svg-charts';

const COLORS = { same: '#2e7d32', expected: '#7b8fa6', different: '#c62828', source: '#1f6fb2', target: '#e08a1e' };

const e = escapeXml;

function num(id: string, n: number | null | undefined): string {
  return `<span data-testid="${e(id)}">${n ?? '-'}</span>`;
}

function verdictTable(r: TuplesReport): string {
  const rows = r.byClass.map(
    (c) => `<tr><th>${e(c.label)}</th><td>${num(`class-${c.class}-total`, c.total)}</td>${VERDICTS.map((v) => `<td class="${c[v] ? v : ''}">${num(`class-${c.class}-${v}`, c[v])}</td>`).join('')}</tr>`,
  );
  rows.push(`<tr class="all"><th>all</th><td>${num('total-tuples', r.tuples)}</td>${VERDICTS.map((v) => `<td class="${r.totals[v] ? v : ''}">${num(`total-${v}`, r.totals[v])}</td>`).join('')}</tr>`);
  return `<table><thead><tr><th>class</th><th>requests</th><th>same</th><th>expected</th><th>different</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function statusMatrix(r: TuplesReport): string {
  const label = (s: number | null) => (s === null ? 'none' : String(s));
  const sources = [...new Set(r.statusMatrix.map((c) => c.source))].sort((a, b) => (a ?? 999) - (b ?? 999));
  const targets = [...new Set(r.statusMatrix.map((c) => c.target))].sort((a, b) => (a ?? 999) - (b ?? 999));
  const max = Math.max(1, ...r.statusMatrix.map((c) => c.count));
  const cell = (s: number | null, t: number | null) => {
    const c = r.statusMatrix.find((x) => x.source === s && x.target === t);
    if (!c) return '<td></td>';
    // Shade by a log scale: one stray pair stays visible beside a hundred thousand agreeing ones.
    const alpha = 0.15 + (0.85 * Math.log1p(c.count)) / Math.log1p(max);
    const rgb = s === t ? '46,125,50' : '198,40,40';
    return `<td style="background: rgba(${rgb},${alpha.toFixed(2)})" title="source ${label(s)}, target ${label(t)}">${num(`status-${label(s)}-${label(t)}`, c.count)}</td>`;
  };
  return `<table class="matrix"><thead><tr><th>source \\ target</th>${targets.map((t) => `<th>${label(t)}</th>`).join('')}</tr></thead><tbody>${sources
    .map((s) => `<tr><th>${label(s)}</th>${targets.map((t) => cell(s, t)).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function latencyCharts(r: TuplesReport): string {
  const labels = [...LATENCY_BUCKETS_MS.map((b) => `≤${b}`), `>${LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]}`];
  return r.latency
    .map((l) => {
      const series: Series[] = [
        { name: 'source', color: COLORS.source, values: l.source.histogram },
        { name: 'target', color: COLORS.target, values: l.target.histogram },
      ];
      const stats = (side: 'source' | 'target') => {
        const s = l[side];
        return `${side}: p50 ${num(`latency-${l.class}-${side}-p50`, s.p50)} ms, p90 ${s.p90 ?? '-'} ms, p99 ${num(`latency-${l.class}-${side}-p99`, s.p99)} ms (${s.count} answers)`;
      };
      return `<figure>${groupedBars(labels, series, { width: 460, height: 200, title: `${l.label}: latency (ms)` })}<figcaption>${stats('source')}<br>${stats('target')}</figcaption></figure>`;
    })
    .join('');
}

function overTime(r: TuplesReport): string {
  const t = r.overTime;
  if (t.buckets.length === 0) return '<p>No requests.</p>';
  const label = (i: number) => (t.axis === 'time' ? new Date(t.start + i * t.step).toISOString().slice(11, 19) : `#${Math.round(i * t.step)}`);
  const series: Series[] = VERDICTS.map((v) => ({ name: v, color: COLORS[v], values: t.buckets.map((b) => b[v]) }));
  const caption = t.axis === 'time' ? 'by the time the source got each request (UTC)' : 'by position in the tuple files (the tuples carry no timestamps)';
  return `<figure>${stackedBars(t.buckets.map((_, i) => label(i)), series, { width: 940, height: 220, title: 'Verdicts over time' }, Math.max(1, Math.ceil(t.buckets.length / 8)))}<figcaption>${caption}</figcaption></figure>`;
}

function examples(r: TuplesReport): string {
  if (r.topDifferent.length === 0) return '<p data-testid="no-differences">No request was answered differently.</p>';
  return r.topDifferent
    .map((d, i) => {
      const x = d.example;
      const rows = x.differences.map((f) => `<tr><td><code>${e(f.path)}</code></td><td><code>${e(f.source)}</code></td><td><code>${e(f.target)}</code></td></tr>`).join('');
      return `<section class="endpoint"><h3><span data-testid="endpoint-${i}-count">${d.count}</span> × <code data-testid="endpoint-${i}">${e(d.endpoint)}</code> <small>${e(d.class)}</small></h3>
<p>paths: ${d.paths.map((p) => `<code>${e(p.path)}</code> (${p.count})`).join(', ')}</p>
<p>example <code>${e(x.connectionId)}</code>: <code>${e(x.method)} ${e(x.uri)}</code>, source ${x.sourceStatus ?? '-'}, target ${x.targetStatus ?? '-'}${x.detail ? ` — ${e(x.detail)}` : ''}</p>
<table class="diff"><thead><tr><th>path</th><th>source</th><th>target</th></tr></thead><tbody>${rows}</tbody></table></section>`;
    })
    .join('');
}

/** The JSON of the report inside the page, for scripts; `</` escaped so that no value ends the script element. */
function embedded(r: TuplesReport): string {
  return JSON.stringify(r).replace(/</g, '\\u003c');
}

/** One self-contained HTML file: inline CSS and SVG, no script, nothing loaded from anywhere. */
export function renderHtml(r: TuplesReport): string {
  const t = r.totals;
  const verdict = t.different === 0 ? '<p class="ok">No request was answered differently.</p>' : `<p class="bad">${t.different} requests were answered differently.</p>`;
  const reasons = r.expectedReasons.length ? `<ul>${r.expectedReasons.map((x) => `<li>${num(`reason-${x.reason}`, x.count)} ${e(x.text)} <small>(${x.reason})</small></li>`).join('')}</ul>` : '<p>None.</p>';
  const learned = r.noise.learned.length ? `<ul>${r.noise.learned.map((l) => `<li><code>${e(l.endpoint)}</code>: ${l.paths.map((p) => `<code>${e(p)}</code>`).join(', ')}</li>`).join('')}</ul>` : '';
  const warnings = r.warnings.length ? `<ul class="warnings">${r.warnings.map((w) => `<li>${e(w)}</li>`).join('')}</ul>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Replay comparison report</title>
<style>
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1000px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; font-size: 13px; }
th:first-child { text-align: left; }
td.different { color: ${COLORS.different}; } td.same { color: ${COLORS.same}; }
tr.all { font-weight: bold; }
.ok { color: ${COLORS.same}; font-weight: bold; } .bad { color: ${COLORS.different}; font-weight: bold; }
figure { display: inline-block; margin: 8px 12px 8px 0; } figcaption { font-size: 12px; }
table.diff td, table.diff th { text-align: left; } code { font-size: 12px; }
.endpoint { border-left: 3px solid ${COLORS.different}; padding-left: 10px; margin: 12px 0; }
.warnings { color: #a15c00; }
</style></head><body>
<h1>Replay comparison</h1>
<p>${num('tuples', r.tuples)} requests from <code>${e(r.location)}</code>, ${e(r.generatedAt)}: ${num('same', t.same)} same, ${num('expected', t.expected)} expected, ${num('different', t.different)} different.</p>
${verdict}${warnings}
<h2>Verdicts by class</h2>${verdictTable(r)}
<h2>Expected differences</h2>${reasons}
<h2>Status agreement</h2>${statusMatrix(r)}
<h2>Differences over time</h2>${overTime(r)}
<h2>Latency, source vs target</h2>${latencyCharts(r)}
<h2>Different answers by endpoint</h2>${examples(r)}
<h2>Noise</h2><p>${r.noise.rules} noise rules${r.baseline ? `; baseline: ${r.baseline.resent} reads sent to the source again` : ''}.</p>${learned}
<script type="application/json" id="report-data">${embedded(r)}</script>
</body></html>
`;
}
