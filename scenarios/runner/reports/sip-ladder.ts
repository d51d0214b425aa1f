// A SIP ladder diagram (SVG) from the messages the emulated phones sent and received: one lifeline
// per phone and one for the IPBX, one arrow per message in time order. The first phone stands left
// of the IPBX, the others right, as ladders in RFC 3665 are drawn.

import type { TracedMessage } from '../phone-emulator/sip-trace.ts';
import { escapeXml } from './junit-report.ts';

const COLUMN = 220;
const ROW = 24;
const TOP = 40;
const IPBX = 'IPBX';

export function sipLadderSvg(phones: readonly string[], messages: readonly TracedMessage[]): string {
  const [first, ...rest] = phones;
  const columns = [...(first === undefined ? [] : [first]), IPBX, ...rest];
  const x = (name: string): number => COLUMN / 2 + COLUMN * Math.max(0, columns.indexOf(name));
  const width = COLUMN * columns.length;
  const height = TOP + ROW * (messages.length + 1);
  const heads = columns.map((name) => `<text x="${x(name)}" y="20" text-anchor="middle" font-weight="bold">${escapeXml(name)}</text>`
    + `<line x1="${x(name)}" y1="28" x2="${x(name)}" y2="${height}" stroke="#999" stroke-dasharray="4 3"/>`);
  const arrows = messages.map((m, i) => {
    const y = TOP + ROW * (i + 1);
    const [from, to] = m.direction === 'sent' ? [m.phone, IPBX] : [IPBX, m.phone];
    const x1 = x(from);
    const x2 = x(to);
    const colour = /^[3-6]\d\d /.test(m.label) ? '#b00020' : m.label.startsWith('2') ? '#1b5e20' : '#0d47a1';
    return `<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" stroke="${colour}" marker-end="url(#arrow)"/>`
      + `<text x="${(x1 + x2) / 2}" y="${y - 4}" text-anchor="middle" fill="${colour}">${escapeXml(m.label)}</text>`
      + `<text x="4" y="${y}" font-size="10" fill="#666">${m.atMs} ms</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="12">`
    + '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>'
    + `${heads.join('')}${arrows.join('')}</svg>`;
}
