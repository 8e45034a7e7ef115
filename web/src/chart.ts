// Successes and failures per time bucket, drawn as inline SVG bars (no chart library).
import { svg, html, type TemplateResult } from 'lit-html';

export interface Bucket {
  start: Date;
  end: Date;
  success: number;
  fail: number;
}

export function bucketBounds(until: Date, spanMs: number, count: number): { start: Date; end: Date }[] {
  const step = spanMs / count;
  const first = until.getTime() - spanMs;
  return Array.from({ length: count }, (_, i) => ({
    start: new Date(first + i * step),
    end: new Date(first + (i + 1) * step),
  }));
}

export function statsChart(
  buckets: Bucket[],
  labels: { title: string; success: string; fail: string; format: (d: Date) => string },
): TemplateResult {
  const width = 600;
  const height = 200;
  const pad = { left: 36, right: 8, top: 10, bottom: 28 };
  const max = Math.max(1, ...buckets.map((b) => b.success + b.fail));
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const slot = plotW / Math.max(1, buckets.length);
  const bar = Math.max(2, slot * 0.7);
  const y = (v: number) => pad.top + plotH - (v / max) * plotH;
  const totalSuccess = buckets.reduce((s, b) => s + b.success, 0);
  const totalFail = buckets.reduce((s, b) => s + b.fail, 0);
  const desc = `${labels.title}: ${labels.success} ${totalSuccess}, ${labels.fail} ${totalFail}`;
  return html`<figure class="chart">
    <svg viewBox="0 0 ${width} ${height}" role="img" aria-label=${desc} preserveAspectRatio="xMidYMid meet">
      ${svg`<line x1=${pad.left} y1=${pad.top + plotH} x2=${width - pad.right} y2=${pad.top + plotH} class="axis" />
        <text x=${pad.left - 4} y=${pad.top + 8} class="tick" text-anchor="end">${max}</text>
        <text x=${pad.left - 4} y=${pad.top + plotH} class="tick" text-anchor="end">0</text>`}
      ${buckets.map((b, i) => {
        const x = pad.left + i * slot + (slot - bar) / 2;
        const sTop = y(b.success);
        const fTop = y(b.success + b.fail);
        return svg`<g>
          <title>${labels.format(b.start)} – ${labels.format(b.end)}: ${labels.success} ${b.success}, ${labels.fail} ${b.fail}</title>
          <rect x=${x} y=${sTop} width=${bar} height=${pad.top + plotH - sTop} class="bar-success" />
          <rect x=${x} y=${fTop} width=${bar} height=${sTop - fTop} class="bar-fail" />
          ${i % 3 === 0 ? svg`<text x=${x + bar / 2} y=${height - 10} class="tick" text-anchor="middle">${labels.format(b.start)}</text>` : ''}
        </g>`;
      })}
    </svg>
    <figcaption>
      <span class="legend legend-success">${labels.success}: ${totalSuccess}</span>
      <span class="legend legend-fail">${labels.fail}: ${totalFail}</span>
    </figcaption>
  </figure>`;
}
