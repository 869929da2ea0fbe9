import type { Figure } from './harness.js';

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

const UNIT_SCALE: Readonly<Record<string, number>> = { '': 1, 'M/s': 1e6, ms: 1 };

/**
 * Whether a figure meets its target: `<= x` / `>= x` compare the ratio (or the value of a figure without
 * a baseline); a target with a unit (`>= 1M/s`, `<= 20 ms`) compares the value. `undefined` for a
 * figure with no target or one that is only reported.
 */
export function meetsTarget(figure: Figure): boolean | undefined {
  const match = /^(<=|>=)\s*(\d+(?:\.\d+)?)\s*(M\/s|ms)?$/.exec(figure.target ?? '');
  if (match === null) return undefined;
  const unit = match[3] ?? '';
  const limit = Number(match[2]) * (UNIT_SCALE[unit] ?? 1);
  const measured = unit === '' && figure.ratio !== null ? figure.ratio : figure.value;
  if (!Number.isFinite(measured)) return false;
  return match[1] === '<=' ? measured <= limit : measured >= limit;
}

/** Compared unrounded: a 0.849 ratio prints as `0.85×` and is still `NO` against `>= 0.85`. */
function metCell(met: boolean | undefined): string {
  if (met === undefined) return '';
  return met ? 'yes' : 'NO';
}

/** Renders figures as an aligned plain-text table. */
export function formatTable(figures: readonly Figure[]): string {
  const header = ['benchmark', 'value', 'unit', 'p99', 'baseline', 'ratio', 'target', 'met'];
  const rows = figures.map((figure) => [
    figure.name,
    formatNumber(figure.value),
    figure.unit,
    figure.p99 === undefined ? '' : formatNumber(figure.p99),
    figure.baseline ?? '',
    figure.ratio === null ? '' : `${figure.ratio.toFixed(2)}×`,
    figure.target ?? '',
    metCell(meetsTarget(figure)),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const numeric = new Set([1, 3, 5]);
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        numeric.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
