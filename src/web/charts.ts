// Server-rendered SVG bar charts for the dashboard (no script, no CDN, no inline styles: colours
// come from classes in app.css). Pure. Trust level: renders numbers and escaped labels.
import { html, type Safe } from './http.js';

export interface Series {
  name: string;
  cls: string;
  values: number[];
}

/** Grouped bars per slot (e.g. hours), labelled every `labelEvery` slots. */
export function barChart(title: string, labels: string[], series: Series[], labelEvery = 3): Safe {
  const w = 600;
  const h = 140;
  const top = 10;
  const bottom = 20;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const slot = w / Math.max(1, labels.length);
  const bw = (slot - 2) / Math.max(1, series.length);
  const bars = labels.flatMap((_, i) =>
    series.map((s, k) => {
      const v = s.values[i] ?? 0;
      const bh = ((h - top - bottom) * v) / max;
      return html`<rect class="${s.cls}" x="${(i * slot + 1 + k * bw).toFixed(1)}" y="${(h - bottom - bh).toFixed(1)}" width="${bw.toFixed(1)}" height="${bh.toFixed(1)}"><title>${labels[i]} ${s.name}: ${v}</title></rect>`;
    }),
  );
  const ticks = labels.map((l, i) => (i % labelEvery === 0 ? html`<text x="${(i * slot + 1).toFixed(1)}" y="${h - 6}">${l}</text>` : ''));
  const total = series.map((s) => html`<span class="${s.cls}">■</span> ${s.name}: ${s.values.reduce((a, b) => a + b, 0)} `);
  return html`<figure class="card"><figcaption><strong>${title}</strong> <span class="legend muted">${total}</span></figcaption><svg class="chart" viewBox="0 0 ${w} ${h}" role="img" aria-label="${title}, max ${max} per hour"><text x="0" y="9">${max}</text>${bars}${ticks}</svg></figure>`;
}
