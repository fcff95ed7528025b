/**
 * The quality-vs-ε plot: FD (lower is better) of DP retrieval at each total budget, with its bootstrap interval,
 * and horizontal lines for public-only retrieval and the non-private (σ = 0, curator-only) reference. Drawn as
 * SVG and rasterised with sharp.
 */
import sharp from 'sharp';
import type { EvaluationRow } from '../contract/contract.ts';

const W = 640;
const H = 400;
const M = { left: 70, right: 170, top: 40, bottom: 55 };

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function plotSvg(rows: readonly EvaluationRow[], title: string): string {
  const dp = rows.filter((r) => r.setting === 'dp' && r.epsilonTotal !== null).sort((a, b) => a.epsilonTotal! - b.epsilonTotal!);
  const pub = rows.find((r) => r.setting === 'public-only');
  const ref = rows.find((r) => r.setting === 'non-private');
  const values = rows.flatMap((r) => [r.fd, r.fdInterval.low, r.fdInterval.high]).filter((v) => Number.isFinite(v));
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!(hi > lo)) {
    lo -= 1e-3;
    hi += 1e-3;
  }
  const pad = (hi - lo) * 0.08;
  lo = Math.max(0, lo - pad);
  hi += pad;
  const eps = dp.map((r) => r.epsilonTotal!);
  const lx0 = Math.log10(Math.min(...eps, 1) / 1.5);
  const lx1 = Math.log10(Math.max(...eps, 10) * 1.5);
  const x = (e: number) => M.left + ((Math.log10(e) - lx0) / (lx1 - lx0)) * (W - M.left - M.right);
  const y = (v: number) => M.top + (1 - (v - lo) / (hi - lo)) * (H - M.top - M.bottom);
  const parts: string[] = [];
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${W / 2 - 60}" y="22" font-family="DejaVu Sans, sans-serif" font-size="15" text-anchor="middle" fill="#111">${esc(title)}</text>`);
  // axes and ticks
  parts.push(`<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#333"/>`);
  parts.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#333"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    parts.push(`<line x1="${M.left - 4}" y1="${y(v)}" x2="${W - M.right}" y2="${y(v)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${M.left - 8}" y="${y(v) + 4}" font-family="DejaVu Sans, sans-serif" font-size="11" text-anchor="end" fill="#333">${v.toFixed(3)}</text>`);
  }
  for (const e of eps) {
    parts.push(`<line x1="${x(e)}" y1="${H - M.bottom}" x2="${x(e)}" y2="${H - M.bottom + 5}" stroke="#333"/>`);
    parts.push(`<text x="${x(e)}" y="${H - M.bottom + 19}" font-family="DejaVu Sans, sans-serif" font-size="11" text-anchor="middle" fill="#333">${e}</text>`);
  }
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" font-family="DejaVu Sans, sans-serif" font-size="12" text-anchor="middle" fill="#111">total ε for the planned queries (log scale)</text>`);
  parts.push(`<text x="16" y="${(M.top + H - M.bottom) / 2}" font-family="DejaVu Sans, sans-serif" font-size="12" text-anchor="middle" fill="#111" transform="rotate(-90 16 ${(M.top + H - M.bottom) / 2})">FD to held-out images (lower is better)</text>`);
  const hline = (row: EvaluationRow | undefined, colour: string, dash: string, label: string, offset: number) => {
    if (!row || !Number.isFinite(row.fd)) return;
    parts.push(`<rect x="${M.left}" y="${y(row.fdInterval.high)}" width="${W - M.right - M.left}" height="${Math.max(0, y(row.fdInterval.low) - y(row.fdInterval.high))}" fill="${colour}" opacity="0.10"/>`);
    parts.push(`<line x1="${M.left}" y1="${y(row.fd)}" x2="${W - M.right}" y2="${y(row.fd)}" stroke="${colour}" stroke-width="2" stroke-dasharray="${dash}"/>`);
    parts.push(`<text x="${W - M.right + 8}" y="${y(row.fd) + 4 + offset}" font-family="DejaVu Sans, sans-serif" font-size="11" fill="${colour}">${esc(label)}</text>`);
  };
  hline(pub, '#d97706', '7 4', `public-only ${pub?.fd.toFixed(4) ?? ''}`, 0);
  const refOffset = pub && ref && Math.abs(y(pub.fd) - y(ref.fd)) < 14 ? 14 : 0;
  hline(ref, '#6b7280', '2 3', `non-private σ=0 ${ref?.fd.toFixed(4) ?? ''}`, refOffset);
  if (ref && Number.isFinite(ref.fd)) {
    // The caveat sits under its own line's label, wherever that line falls.
    const below = Math.min(H - M.bottom, y(ref.fd) + refOffset + 17);
    parts.push(`<text x="${W - M.right + 8}" y="${below}" font-family="DejaVu Sans, sans-serif" font-size="10" fill="#6b7280">(curator only,</text>`);
    parts.push(`<text x="${W - M.right + 8}" y="${below + 12}" font-family="DejaVu Sans, sans-serif" font-size="10" fill="#6b7280">not private)</text>`);
  }
  if (dp.length) {
    parts.push(`<polyline fill="none" stroke="#2563eb" stroke-width="2.5" points="${dp.map((r) => `${x(r.epsilonTotal!)},${y(r.fd)}`).join(' ')}"/>`);
    for (const r of dp) {
      parts.push(`<line x1="${x(r.epsilonTotal!)}" y1="${y(r.fdInterval.low)}" x2="${x(r.epsilonTotal!)}" y2="${y(r.fdInterval.high)}" stroke="#2563eb" stroke-width="1.5"/>`);
      parts.push(`<circle cx="${x(r.epsilonTotal!)}" cy="${y(r.fd)}" r="4.5" fill="#2563eb"/>`);
    }
    // A legend inside the plot's top-right corner: the DP line has no label of its own at the right margin.
    parts.push(`<text x="${W - M.right - 8}" y="${M.top + 14}" font-family="DejaVu Sans, sans-serif" font-size="11" text-anchor="end" fill="#2563eb">● DP retrieval (95 % interval)</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join('')}</svg>`;
}

export async function plotPng(rows: readonly EvaluationRow[], title: string): Promise<Buffer> {
  return sharp(Buffer.from(plotSvg(rows, title))).png().toBuffer();
}
