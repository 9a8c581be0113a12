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
  let ticks = '';
  const every = Math.max(1, Math.ceil(bins / 5));
  for (let i = 0; i <= bins; i += every) {
    const x = r1(frame.left + i * binW);
    ticks += `<line x1="${x}" x2="${x}" y1="${frame.top + plotH}" y2="${frame.top + plotH + 4}" stroke="${COLORS.axis}"/>`;
    ticks += `<text x="${x}" y="${frame.top + plotH + 16}" text-anchor="middle" font-size="11" fill="${COLORS.axis}">${escapeHtml(num(edges[i], 4))}</text>`;
  }
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
      out += `<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="${heat(t)}" stroke="${COLORS.grid}"><title>${escapeHtml(`true ${c}, predicted ${classes[j]}: ${n} rows`)}</title></rect>`;
      out += `<text x="${x + (cell - 2) / 2}" y="${y + (cell - 2) / 2 + 5}" text-anchor="middle" font-size="14" fill="${t > 0.55 ? '#ffffff' : COLORS.text}">${n}</text>`;
    });
  });
  out += `<text x="14" y="${frame.top + (cell * classes.length) / 2}" text-anchor="middle" font-size="12" fill="${COLORS.axis}" transform="rotate(-90 14 ${frame.top + (cell * classes.length) / 2})">true</text>`;
  return `${out}</svg>`;
}
