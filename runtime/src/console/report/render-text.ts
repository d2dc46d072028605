import { table } from '../../core/table';
import type { TuplesReport } from './report';

function pct(n: number, of: number): string {
  return of ? `${((100 * n) / of).toFixed(1)}%` : '-';
}

/** The report for a terminal: classes × verdicts, why the expected ones are, and where the differences are. */
export function renderText(r: TuplesReport, opts: { examples?: number } = {}): string {
  const out: string[] = [];
  const t = r.totals;
  out.push(`${r.tuples} requests in ${r.location}: ${t.same} same, ${t.expected} expected, ${t.different} different`);
  out.push('');
  out.push(
    table(
      ['class', 'requests', 'same', 'expected', 'different'],
      [
        ...r.byClass.map((c) => [c.label, String(c.total), String(c.same), String(c.expected), String(c.different)]),
        ['all', String(r.tuples), String(t.same), String(t.expected), String(t.different)],
      ],
    ).trimEnd(),
  );
  if (r.expectedReasons.length) {
    out.push('', 'Expected differences:');
    for (const e of r.expectedReasons) out.push(`  ${String(e.count).padStart(7)}  ${e.text} (${e.reason})`);
  }
  if (r.topDifferent.length) {
    out.push('', 'Different answers, by endpoint:');
    for (const e of r.topDifferent) {
      out.push(`  ${String(e.count).padStart(7)}  ${e.endpoint}  [${e.class}]  paths: ${e.paths.slice(0, 5).map((p) => `${p.path} (${p.count})`).join(', ')}`);
      const x = e.example;
      out.push(`           e.g. ${x.connectionId} ${x.method} ${x.uri}: source ${x.sourceStatus ?? '-'}, target ${x.targetStatus ?? '-'}${x.detail ? `; ${x.detail}` : ''}`);
      for (const d of x.differences.slice(0, opts.examples ?? 3)) out.push(`             ${d.path}: source ${d.source}  target ${d.target}`);
    }
  }
  const slow = r.latency.filter((l) => l.source.p50 !== null && l.target.p50 !== null);
  if (slow.length) {
    out.push('', 'Latency p50 / p99 (ms), source vs target:');
    for (const l of slow) out.push(`  ${l.label.padEnd(22)} ${l.source.p50} / ${l.source.p99}   vs   ${l.target.p50} / ${l.target.p99}`);
  }
  const learned = r.noise.learned;
  if (r.baseline) out.push('', `Baseline: ${r.baseline.resent} reads sent to the source again (${r.baseline.failed} failed, ${r.baseline.statusChanged} answered another status); noise learned on ${learned.length} endpoints`);
  for (const l of learned) out.push(`  ${l.endpoint}: ${l.paths.join(', ')}`);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  out.push('', t.different === 0 ? `No request was answered differently (${pct(t.same, r.tuples)} same, ${pct(t.expected, r.tuples)} expected).` : `${t.different} requests (${pct(t.different, r.tuples)}) were answered differently: see the endpoints above.`);
  return out.join('\n');
}
