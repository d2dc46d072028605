/*
 * The report's charts as inline SVG strings: no library, no script, nothing fetched; the file
 * opens anywhere, offline. Each function takes plain numbers and returns markup.
 */

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Series {
  name: string;
  color: string;
  values: number[];
}

interface Frame {
  width: number;
  height: number;
  title: string;
}

const PAD = { left: 48, right: 12, top: 24, bottom: 42 };

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function axes(f: Frame, max: number): string {
  const h = f.height - PAD.top - PAD.bottom;
  const ticks = [0, 0.5, 1].map((t) => {
    const y = PAD.top + h - t * h;
    return `<line x1="${PAD.left}" x2="${f.width - PAD.right}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${PAD.left - 4}" y="${y + 4}" text-anchor="end" font-size="10">${formatCount(t * max)}</text>`;
  });
  return `<text x="${PAD.left}" y="14" font-size="12" font-weight="bold">${escapeXml(f.title)}</text>${ticks.join('')}`;
}

function formatCount(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(+n.toFixed(1));
}

function legend(f: Frame, series: Series[]): string {
  let x = f.width - PAD.right;
  return series
    .slice()
    .reverse()
    .map((s) => {
      x -= 10 + s.name.length * 6 + 16;
      return `<rect x="${x}" y="5" width="10" height="10" fill="${s.color}"/><text x="${x + 14}" y="14" font-size="11">${escapeXml(s.name)}</text>`;
    })
    .join('');
}

/** Bars side by side per label (e.g. source and target per latency bucket). */
export function groupedBars(labels: string[], series: Series[], f: Frame): string {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const w = f.width - PAD.left - PAD.right;
  const h = f.height - PAD.top - PAD.bottom;
  const slot = w / Math.max(1, labels.length);
  const bar = Math.max(1, (slot * 0.8) / series.length);
  const rects: string[] = [];
  labels.forEach((label, i) => {
    series.forEach((s, j) => {
      const v = s.values[i] ?? 0;
      const bh = (v / max) * h;
      const x = PAD.left + i * slot + slot * 0.1 + j * bar;
      rects.push(`<rect x="${x.toFixed(1)}" y="${(PAD.top + h - bh).toFixed(1)}" width="${bar.toFixed(1)}" height="${bh.toFixed(1)}" fill="${s.color}"><title>${escapeXml(`${s.name} ${label}: ${v}`)}</title></rect>`);
    });
    rects.push(`<text x="${(PAD.left + i * slot + slot / 2).toFixed(1)}" y="${f.height - PAD.bottom + 14}" font-size="9" text-anchor="middle">${escapeXml(label)}</text>`);
  });
  return svg(f, axes(f, max) + legend(f, series) + rects.join(''));
}

/** Bars stacked per position (e.g. same / expected / different per time bucket). */
export function stackedBars(labels: string[], series: Series[], f: Frame, labelEvery = 10): string {
  const totals = labels.map((_, i) => series.reduce((a, s) => a + (s.values[i] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const w = f.width - PAD.left - PAD.right;
  const h = f.height - PAD.top - PAD.bottom;
  const slot = w / Math.max(1, labels.length);
  const rects: string[] = [];
  labels.forEach((label, i) => {
    let y = PAD.top + h;
    for (const s of series) {
      const v = s.values[i] ?? 0;
      if (!v) continue;
      const bh = (v / max) * h;
      y -= bh;
      rects.push(`<rect x="${(PAD.left + i * slot).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, slot - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${s.color}"><title>${escapeXml(`${label}: ${v} ${s.name}`)}</title></rect>`);
    }
    if (i % labelEvery === 0) rects.push(`<text x="${(PAD.left + i * slot).toFixed(1)}" y="${f.height - PAD.bottom + 14}" font-size="9">${escapeXml(label)}</text>`);
  });
  return svg(f, axes(f, max) + legend(f, series) + rects.join(''));
}

function svg(f: Frame, body: string): string {
  return `<svg width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${escapeXml(f.title)}" font-family="sans-serif">${body}</svg>`;
}
