// Charts as inline SVG strings: no script, no font or file from anywhere, so
// the report opens offline and looks the same in every browser.

import { num } from './numbers.ts';

export const COLORS = { reference: '#8c959f', current: '#0969da', axis: '#57606a', grid: '#d0d7de', text: '#24292f' } as const;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const r1 = (x: number) => Math.round(x * 10) / 10;

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function open(frame: Frame, title: string, description: string, id: string): string {
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${frame.width} ${frame.height}" width="${frame.width}" height="${frame.height}" role="img" aria-labelledby="${id}-t ${id}-d"><title id="${id}-t">${escapeHtml(title)}</title><desc id="${id}-d">${escapeHtml(description)}</desc>`;
}

function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total ? c / total : 0));
}

/** A "nice" upper bound for a share axis, whose half is a whole percentage too. */
function niceMax(max: number): number {
  for (const step of [0.02, 0.04, 0.06, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1]) if (max <= step) return step;
  return 1;
}

function shareAxis(frame: Frame, top: number): string {
  const plotH = frame.height - frame.top - frame.bottom;
  let out = '';
  for (const f of [0, 0.5, 1]) {
    const y = r1(frame.top + plotH * (1 - f));
    out += `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${y}" y2="${y}" stroke="${COLORS.grid}" stroke-width="1"/>`;
    out += `<text x="${frame.left - 6}" y="${y + 4}" text-anchor="end" font-size="11" fill="${COLORS.axis}">${Math.round(top * f * 100)}%</text>`;
  }
  return out;
}

function legend(frame: Frame): string {
  const x = frame.width - frame.right - 150;
  return (
    `<g font-size="11" fill="${COLORS.text}">` +
    `<rect x="${x}" y="2" width="10" height="10" fill="${COLORS.reference}"/><text x="${x + 14}" y="11">reference</text>` +
    `<rect x="${x + 80}" y="2" width="10" height="10" fill="${COLORS.current}"/><text x="${x + 94}" y="11">current</text></g>`
  );
}

/** The frame and share scale both reference-vs-current charts draw on. */
function comparisonLayout(reference: readonly number[], current: readonly number[]) {
  const frame: Frame = { width: 520, height: 230, left: 44, right: 24, top: 20, bottom: 40 };
  const ref = shares(reference);
  const cur = shares(current);
  return {
    frame,
    ref,
    cur,
    top: niceMax(Math.max(...ref, ...cur, 0.01)),
    plotW: frame.width - frame.left - frame.right,
    plotH: frame.height - frame.top - frame.bottom,
  };
}

/** Reference vs current share of rows per shared bin, side by side in each bin. */
export function histogramSvg(id: string, column: string, edges: readonly number[], reference: readonly number[], current: readonly number[]): string {
  const { frame, ref, cur, top, plotW, plotH } = comparisonLayout(reference, current);
  const bins = ref.length;
  const binW = plotW / bins;
  const barW = Math.max(1, (binW - 2) / 2);
  let bars = '';
  for (let i = 0; i < bins; i++) {
    const x = frame.left + i * binW + 1;
    for (const [k, values, color] of [
      [0, ref, COLORS.reference],
      [1, cur, COLORS.current],
    ] as const) {
      const h = (values[i] / top) * plotH;
      const label = `${k ? 'current' : 'reference'} ${num(edges[i])} to ${num(edges[i + 1])}: ${(values[i] * 100).toFixed(1)}% (${k ? current[i] : reference[i]} rows)`;
      bars += `<rect x="${r1(x + k * barW)}" y="${r1(frame.top + plotH - h)}" width="${r1(barW)}" height="${r1(h)}" fill="${color}"><title>${escapeHtml(label)}</title></rect>`;
    }
  }
  const lo = edges[0];
  const hi = edges[bins];
  const xAt = (v: number) => r1(frame.left + ((v - lo) / (hi - lo || 1)) * plotW);
  const ticks = xTicks(frame, niceTicks(lo, hi, 5).filter((t) => t >= lo && t <= hi), xAt, (t) => num(t));
  const axis = `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${frame.top + plotH}" y2="${frame.top + plotH}" stroke="${COLORS.axis}"/>`;
  const caption = `<text x="${frame.left + plotW / 2}" y="${frame.height - 4}" text-anchor="middle" font-size="11" fill="${COLORS.axis}">${escapeHtml(column)} (share of rows per bin)</text>`;
  return `${open(frame, `${column}: reference vs current distribution`, `Histogram over ${bins} shared bins; bars give each sample's share of rows per bin.`, id)}${shareAxis(frame, top)}${bars}${axis}${ticks}${caption}${legend(frame)}</svg>`;
}

/** Reference vs current share of rows per category. */
export function categoriesSvg(id: string, column: string, categories: readonly string[], reference: readonly number[], current: readonly number[]): string {
  const { frame, ref, cur, top, plotW, plotH } = comparisonLayout(reference, current);
  const groupW = plotW / Math.max(1, categories.length);
  const barW = Math.min(48, (groupW - 16) / 2);
  let bars = '';
  categories.forEach((c, i) => {
    const center = frame.left + groupW * (i + 0.5);
    for (const [k, values, counts, color] of [
      [0, ref, reference, COLORS.reference],
      [1, cur, current, COLORS.current],
    ] as const) {
      const h = (values[i] / top) * plotH;
      const x = center - barW + k * barW;
      bars += `<rect x="${r1(x)}" y="${r1(frame.top + plotH - h)}" width="${r1(barW)}" height="${r1(h)}" fill="${color}"><title>${escapeHtml(`${k ? 'current' : 'reference'} ${c}: ${(values[i] * 100).toFixed(1)}% (${counts[i]} rows)`)}</title></rect>`;
    }
    const label = c.length > 16 ? `${c.slice(0, 15)}…` : c;
    bars += `<text x="${r1(center)}" y="${frame.top + plotH + 16}" text-anchor="middle" font-size="11" fill="${COLORS.text}">${escapeHtml(label)}</text>`;
  });
  const axis = `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${frame.top + plotH}" y2="${frame.top + plotH}" stroke="${COLORS.axis}"/>`;
  const caption = `<text x="${frame.left + plotW / 2}" y="${frame.height - 4}" text-anchor="middle" font-size="11" fill="${COLORS.axis}">${escapeHtml(column)} (share of rows per value)</text>`;
  return `${open(frame, `${column}: reference vs current shares`, `Bar chart of each value's share of rows in the reference and in the current data.`, id)}${shareAxis(frame, top)}${bars}${axis}${caption}${legend(frame)}</svg>`;
}

/** Blend white toward the current color by t in [0, 1]. */
function heat(t: number): string {
  const to = [9, 105, 218];
  const c = to.map((v) => Math.round(255 + (v - 255) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Confusion matrix as a heat map: rows are true classes, columns predicted; shade is the share of the true class's rows. */
export function confusionSvg(id: string, classes: readonly string[], matrix: readonly (readonly number[])[]): string {
  const cell = 72;
  const frame: Frame = { width: 110 + cell * classes.length + 10, height: 50 + cell * classes.length + 10, left: 110, right: 10, top: 50, bottom: 10 };
  let out = open(frame, 'Confusion matrix', 'Rows: true class; columns: predicted class; each cell gives the number of labeled rows, shaded by its share of the true class.', id);
  out += `<text x="${frame.left + (cell * classes.length) / 2}" y="14" text-anchor="middle" font-size="12" fill="${COLORS.axis}">predicted</text>`;
  classes.forEach((c, j) => {
    out += `<text x="${frame.left + cell * (j + 0.5)}" y="${frame.top - 10}" text-anchor="middle" font-size="12" fill="${COLORS.text}">${escapeHtml(c)}</text>`;
  });
  classes.forEach((c, i) => {
    const total = matrix[i].reduce((a, b) => a + b, 0);
    out += `<text x="${frame.left - 8}" y="${frame.top + cell * (i + 0.5) + 4}" text-anchor="end" font-size="12" fill="${COLORS.text}">${escapeHtml(c)}</text>`;
    matrix[i].forEach((n, j) => {
      const t = total ? n / total : 0;
      const x = frame.left + cell * j;
      const y = frame.top + cell * i;
      out += `<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="${heat(t)}" stroke="${COLORS.grid}"><title>${escapeHtml(`true ${c}, predicted ${classes[j]}: ${n} ${n === 1 ? 'row' : 'rows'}`)}</title></rect>`;
      out += `<text x="${x + (cell - 2) / 2}" y="${y + (cell - 2) / 2 + 5}" text-anchor="middle" font-size="14" fill="${t > 0.55 ? '#ffffff' : COLORS.text}">${n}</text>`;
    });
  });
  out += `<text x="14" y="${frame.top + (cell * classes.length) / 2}" text-anchor="middle" font-size="12" fill="${COLORS.axis}" transform="rotate(-90 14 ${frame.top + (cell * classes.length) / 2})">true</text>`;
  return `${out}</svg>`;
}

/** Up to about `count` + 1 round numbers (1, 2 or 5 × a power of ten apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  // Rounded to the step's decimals, so 0.1 + 0.2 shows as 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  for (let t = Math.floor(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toFixed(decimals)));
  return ticks;
}

function xTicks(frame: Frame, ticks: readonly number[], xAt: (v: number) => number, label: (v: number) => string): string {
  const y = frame.height - frame.bottom;
  let out = '';
  for (const t of ticks) {
    const x = xAt(t);
    out += `<line x1="${x}" x2="${x}" y1="${y}" y2="${y + 4}" stroke="${COLORS.axis}"/>`;
    out += `<text x="${x}" y="${y + 16}" text-anchor="middle" font-size="11" fill="${COLORS.axis}">${escapeHtml(label(t))}</text>`;
  }
  return out;
}

function yTicks(frame: Frame, ticks: readonly number[], yAt: (v: number) => number): string {
  let out = '';
  for (const t of ticks) {
    const y = yAt(t);
    out += `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${y}" y2="${y}" stroke="${COLORS.grid}" stroke-width="1"/>`;
    out += `<text x="${frame.left - 6}" y="${y + 4}" text-anchor="end" font-size="11" fill="${COLORS.axis}">${escapeHtml(num(t))}</text>`;
  }
  return out;
}

/** A drift-table thumbnail: reference (grey) and current (blue) shares per bin or value, no text. */
export function miniChartSvg(id: string, column: string, reference: readonly number[], current: readonly number[]): string {
  const frame: Frame = { width: 132, height: 40, left: 2, right: 2, top: 2, bottom: 2 };
  const ref = shares(reference);
  const cur = shares(current);
  const top = Math.max(...ref, ...cur, 0.01);
  const plotH = frame.height - frame.top - frame.bottom;
  const binW = (frame.width - frame.left - frame.right) / Math.max(1, ref.length);
  const barW = Math.max(1, (binW - 1) / 2);
  let bars = '';
  for (let i = 0; i < ref.length; i++) {
    for (const [k, values, color] of [
      [0, ref, COLORS.reference],
      [1, cur, COLORS.current],
    ] as const) {
      const h = Math.max(values[i] > 0 ? 1 : 0, (values[i] / top) * plotH);
      bars += `<rect x="${r1(frame.left + i * binW + k * barW)}" y="${r1(frame.top + plotH - h)}" width="${r1(barW)}" height="${r1(h)}" fill="${color}"/>`;
    }
  }
  const axis = `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${frame.top + plotH}" y2="${frame.top + plotH}" stroke="${COLORS.axis}"/>`;
  return `${open(frame, `${column}: reference (grey) vs current (blue)`, 'Thumbnail of each sample\'s share of rows per bin or value.', id)}${bars}${axis}</svg>`;
}

const UTC_STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800].map((s) => s * 1000);

/** Round times (a second, a minute, an hour … apart) over [from, to], labelled in UTC. */
export function timeTicks(from: number, to: number, count = 5): { ticks: number[]; label: (t: number) => string } {
  const step = UTC_STEPS.find((s) => s >= (to - from) / count) ?? UTC_STEPS[UTC_STEPS.length - 1];
  const ticks: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
  const iso = (t: number) => new Date(t).toISOString();
  const label = step >= 86_400_000 ? (t: number) => iso(t).slice(5, 10) : step >= 60_000 ? (t: number) => iso(t).slice(11, 16) : step >= 1000 ? (t: number) => iso(t).slice(11, 19) : (t: number) => iso(t).slice(14, 23);
  return { ticks, label };
}

/** A numeric column's mean per time window (a line), over the reference's mean ± std (a band). */
export function overTimeSvg(id: string, column: string, starts: readonly number[], to: number, means: readonly (number | null)[], reference: { mean: number; std: number }): string {
  const frame: Frame = { width: 520, height: 200, left: 56, right: 20, top: 20, bottom: 40 };
  const from = starts[0];
  const width = starts.length > 1 ? starts[1] - starts[0] : 1;
  const present = means.filter((m): m is number => m !== null);
  const top = Math.max(reference.mean + reference.std, ...present);
  const ticksY = niceTicks(Math.min(reference.mean - reference.std, ...present), top, 4);
  // The axis ends on a round number at or above the highest value.
  if (ticksY.length > 1 && ticksY[ticksY.length - 1] < top) ticksY.push(Number((2 * ticksY[ticksY.length - 1] - ticksY[ticksY.length - 2]).toPrecision(12)));
  const lo = ticksY[0];
  const hi = Math.max(ticksY[ticksY.length - 1], lo + 1e-9);
  const plotW = frame.width - frame.left - frame.right;
  const plotH = frame.height - frame.top - frame.bottom;
  const end = Math.max(to, from + 1);
  const xAt = (t: number) => r1(frame.left + ((t - from) / (end - from)) * plotW);
  const yAt = (v: number) => r1(frame.top + plotH * (1 - (v - lo) / (hi - lo)));
  const bandTop = yAt(Math.min(hi, reference.mean + reference.std));
  const band = `<rect x="${frame.left}" y="${bandTop}" width="${plotW}" height="${r1(yAt(Math.max(lo, reference.mean - reference.std)) - bandTop)}" fill="${COLORS.reference}" fill-opacity="0.25"><title>${escapeHtml(`reference mean ± std: ${num(reference.mean)} ± ${num(reference.std)}`)}</title></rect>`;
  const meanLine = `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${yAt(reference.mean)}" y2="${yAt(reference.mean)}" stroke="${COLORS.reference}" stroke-dasharray="4 3"/>`;
  let points = '';
  let dots = '';
  means.forEach((m, w) => {
    if (m === null) return;
    const x = xAt(starts.length > 1 ? starts[w] + width / 2 : from);
    points += `${x},${yAt(m)} `;
    dots += `<circle cx="${x}" cy="${yAt(m)}" r="2.5" fill="${COLORS.current}"><title>${escapeHtml(`${new Date(starts[w]).toISOString()}: mean ${num(m)}`)}</title></circle>`;
  });
  const line = `<polyline points="${points.trim()}" fill="none" stroke="${COLORS.current}" stroke-width="2"/>`;
  const { ticks, label } = timeTicks(from, end, 5);
  const axis = `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${frame.top + plotH}" y2="${frame.top + plotH}" stroke="${COLORS.axis}"/>`;
  const caption = `<text x="${frame.left + plotW / 2}" y="${frame.height - 4}" text-anchor="middle" font-size="11" fill="${COLORS.axis}">capture time (UTC); line: current mean per window; band: reference mean ± std</text>`;
  return `${open(frame, `${column} over time`, `Mean of ${column} in each of ${starts.length} time windows, against the reference mean ± one standard deviation.`, id)}${yTicks(frame, ticksY, yAt)}${band}${meanLine}${line}${dots}${axis}${xTicks(frame, ticks, xAt, label)}${caption}</svg>`;
}

/** One sample's share of rows per bin of fixed edges (the predictions' confidence). */
export function distributionSvg(id: string, title: string, edges: readonly number[], counts: readonly number[]): string {
  const frame: Frame = { width: 520, height: 200, left: 44, right: 20, top: 20, bottom: 40 };
  const values = shares(counts);
  const top = niceMax(Math.max(...values, 0.01));
  const plotW = frame.width - frame.left - frame.right;
  const plotH = frame.height - frame.top - frame.bottom;
  const lo = edges[0];
  const hi = edges[edges.length - 1];
  const xAt = (v: number) => r1(frame.left + ((v - lo) / (hi - lo || 1)) * plotW);
  let bars = '';
  counts.forEach((n, i) => {
    const h = (values[i] / top) * plotH;
    bars += `<rect x="${r1(xAt(edges[i]) + 1)}" y="${r1(frame.top + plotH - h)}" width="${r1(Math.max(1, xAt(edges[i + 1]) - xAt(edges[i]) - 2))}" height="${r1(h)}" fill="${COLORS.current}"><title>${escapeHtml(`${num(edges[i])} to ${num(edges[i + 1])}: ${(values[i] * 100).toFixed(1)}% (${n} rows)`)}</title></rect>`;
  });
  const axis = `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${frame.top + plotH}" y2="${frame.top + plotH}" stroke="${COLORS.axis}"/>`;
  const caption = `<text x="${frame.left + plotW / 2}" y="${frame.height - 4}" text-anchor="middle" font-size="11" fill="${COLORS.axis}">${escapeHtml(title)} (share of rows per bin)</text>`;
  return `${open(frame, title, `Histogram of ${title} over ${counts.length} bins.`, id)}${shareAxis(frame, top)}${bars}${axis}${xTicks(frame, niceTicks(lo, hi, 5), xAt, (t) => num(t))}${caption}</svg>`;
}
