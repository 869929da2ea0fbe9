import type { Figure } from './harness.js';

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** Renders figures as an aligned plain-text table. */
export function formatTable(figures: readonly Figure[]): string {
  const header = ['benchmark', 'value', 'unit', 'p99', 'baseline', 'ratio', 'target'];
  const rows = figures.map((figure) => [
    figure.name,
    formatNumber(figure.value),
    figure.unit,
    figure.p99 === undefined ? '' : formatNumber(figure.p99),
    figure.baseline ?? '',
    figure.ratio === null ? '' : `${figure.ratio.toFixed(2)}×`,
    figure.target ?? '',
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
