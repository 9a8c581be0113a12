// The training report's charts as inline SVG: labelled horizontal bars (with
// optional reference lines) and a diverging heat map of the coefficients.
// Each chart draws <rect>s, which is what scripts/check-report.ts counts as
// drawn; a track behind each bar keeps an all-zero chart visibly drawn.

import { COLORS, escapeHtml as h, niceTicks } from '../monitor/svg.ts';

const r1 = (x: number) => Math.round(x * 10) / 10;

function open(width: number, height: number, id: string, title: string, description: string): string {
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-t ${id}-d"><title id="${id}-t">${h(title)}</title><desc id="${id}-d">${h(description)}</desc>`;
}

/** Round ticks from 0 to at least `max` (svg.ts's niceTicks, extended by one step when they stop short), for a bar axis that holds every bar. */
export function ticksFromZero(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const ticks = niceTicks(0, max);
  const last = ticks[ticks.length - 1];
  // Rounded like niceTicks' own, so 0.6000000000000001 stays out of the labels.
  if (last < max) ticks.push(Number((last + (ticks[1] - ticks[0])).toPrecision(12)));
  return ticks;
}

export interface Series {
  name: string;
  color: string;
}

export interface BarGroup {
  label: string;
  /** One value per series, in the order of `series`. */
  values: number[];
  /** What each bar's end says, e.g. `0.9651` or `152 (44.2%)`. */
  texts: string[];
}

export interface BarChart {
  id: string;
  title: string;
  description: string;
  series: Series[];
  groups: BarGroup[];
  /** Axis ticks: the last is the axis's end. */
  ticks: number[];
  formatTick: (x: number) => string;
  caption: string;
  /** Vertical reference lines, e.g. the accuracy threshold. */
  marks?: { value: number; label: string; color: string }[];
}

const LABEL_W = 150;
const TEXT_W = 96;
const WIDTH = 600;
const BAR_H = 16;

/** Horizontal bars, one group of bars per label (one bar per series), on a shared 0-based axis. */
export function barChartSvg(chart: BarChart): string {
  const { series, groups, ticks } = chart;
  const legendH = series.length > 1 ? 22 : 6;
  const groupH = series.length * BAR_H + 10;
  // One row of labels per mark above the plot, so a threshold and a mean close together never overlap.
  const top = legendH + 14 * (chart.marks?.length ?? 0);
  const plotW = WIDTH - LABEL_W - TEXT_W;
  const plotH = groups.length * groupH;
  const height = top + plotH + 40;
  const end = ticks[ticks.length - 1];
  const x = (v: number) => r1(LABEL_W + (Math.max(0, Math.min(v, end)) / end) * plotW);
  let out = open(WIDTH, height, chart.id, chart.title, chart.description);
  for (const t of ticks) {
    out += `<line x1="${x(t)}" x2="${x(t)}" y1="${top}" y2="${top + plotH}" stroke="${COLORS.grid}"/>`;
    out += `<text x="${x(t)}" y="${top + plotH + 16}" text-anchor="middle" font-size="11" fill="${COLORS.axis}">${h(chart.formatTick(t))}</text>`;
  }
  groups.forEach((g, i) => {
    const y0 = top + i * groupH + 5;
    out += `<text x="${LABEL_W - 8}" y="${r1(y0 + (series.length * BAR_H) / 2 + 4)}" text-anchor="end" font-size="12" fill="${COLORS.text}">${h(g.label)}</text>`;
    series.forEach((s, k) => {
      const y = y0 + k * BAR_H;
      const name = series.length > 1 ? `${g.label}, ${s.name}` : g.label;
      out += `<rect x="${LABEL_W}" y="${y + 1}" width="${plotW}" height="${BAR_H - 3}" fill="${COLORS.grid}" opacity="0.35"/>`;
      out += `<rect x="${LABEL_W}" y="${y + 1}" width="${r1(x(g.values[k]) - LABEL_W)}" height="${BAR_H - 3}" fill="${s.color}"><title>${h(`${name}: ${g.texts[k]}`)}</title></rect>`;
      out += `<text x="${LABEL_W + plotW + 6}" y="${y + BAR_H - 4}" font-size="11" fill="${COLORS.text}">${h(g.texts[k])}</text>`;
    });
  });
  (chart.marks ?? []).forEach((m, k) => {
    const labelY = top - 6 - 14 * k;
    out += `<line x1="${x(m.value)}" x2="${x(m.value)}" y1="${labelY + 2}" y2="${top + plotH}" stroke="${m.color}" stroke-width="2" stroke-dasharray="5 3"/>`;
    out += `<text x="${x(m.value)}" y="${labelY}" text-anchor="middle" font-size="11" fill="${m.color}">${h(m.label)}</text>`;
  });
  out += `<line x1="${LABEL_W}" x2="${LABEL_W}" y1="${top}" y2="${top + plotH}" stroke="${COLORS.axis}"/>`;
  out += `<text x="${LABEL_W + plotW / 2}" y="${height - 4}" text-anchor="middle" font-size="11" fill="${COLORS.axis}">${h(chart.caption)}</text>`;
  if (series.length > 1) {
    series.forEach((s, k) => {
      const lx = LABEL_W + k * 110;
      out += `<rect x="${lx}" y="4" width="10" height="10" fill="${s.color}"/><text x="${lx + 14}" y="13" font-size="11" fill="${COLORS.text}">${h(s.name)}</text>`;
    });
  }
  return `${out}</svg>`;
}

/** Blend white toward blue (positive) or red (negative) by |t| in [0, 1]. */
function diverging(t: number): string {
  const to = t >= 0 ? [9, 105, 218] : [207, 34, 46];
  const a = Math.min(1, Math.abs(t));
  const c = to.map((v) => Math.round(255 + (v - 255) * a));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export interface HeatMap {
  id: string;
  title: string;
  description: string;
  rows: string[];
  columns: string[];
  /** values[row][column] */
  values: number[][];
  format: (x: number) => string;
}

/** A table of signed values as a heat map: blue for positive, red for negative, shaded by size relative to the largest. */
export function heatMapSvg(map: HeatMap): string {
  const labelW = 190;
  const cellW = 100;
  const cellH = 26;
  const top = 26;
  const width = labelW + cellW * map.columns.length + 10;
  const height = top + cellH * map.rows.length + 8;
  const largest = Math.max(...map.values.flat().map(Math.abs), Number.MIN_VALUE);
  let out = open(width, height, map.id, map.title, map.description);
  map.columns.forEach((c, j) => {
    out += `<text x="${labelW + cellW * (j + 0.5)}" y="${top - 9}" text-anchor="middle" font-size="12" fill="${COLORS.text}">${h(c)}</text>`;
  });
  map.rows.forEach((label, i) => {
    const y = top + cellH * i;
    out += `<text x="${labelW - 8}" y="${y + cellH / 2 + 4}" text-anchor="end" font-size="12" fill="${COLORS.text}">${h(label)}</text>`;
    map.values[i].forEach((v, j) => {
      const t = v / largest;
      const x = labelW + cellW * j;
      out += `<rect x="${x}" y="${y}" width="${cellW - 2}" height="${cellH - 2}" fill="${diverging(t)}" stroke="${COLORS.grid}"><title>${h(`${label}, ${map.columns[j]}: ${map.format(v)}`)}</title></rect>`;
      out += `<text x="${x + (cellW - 2) / 2}" y="${y + cellH / 2 + 3}" text-anchor="middle" font-size="12" fill="${Math.abs(t) > 0.55 ? '#ffffff' : COLORS.text}">${h(map.format(v))}</text>`;
    });
  });
  return `${out}</svg>`;
}
