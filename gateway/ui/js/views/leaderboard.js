// leaderboard.js - #/leaderboard: each department's reuse and the CO2 it
// saved, as a bar chart the page draws itself (SVG) and as a table.
import { api } from '../api.js';
import { h, replace, svg, uid } from '../dom.js';
import { fmtKg, fmtNumber } from '../format.js';
import { user } from '../session.js';
import { emptyState, loadError, loading, pageHeader, section } from '../ui.js';

/** The smallest 1, 2 or 5 x 10^n at or above v. */
function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 4, 5, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function tickLabel(v, last) {
  return last ? `${fmtNumber(v)} kg` : fmtNumber(v);
}

/** Draws the chart into holder at its current width. */
function drawChart(holder, rows, mine) {
  const width = Math.max(280, Math.floor(holder.clientWidth || 600));
  const rowH = 58;
  const top = 8;
  const axisH = 28;
  const height = top + rows.length * rowH + axisH;
  const barX = 0;
  const barW = width - 8;
  const max = niceMax(Math.max(...rows.map((r) => Math.max(r.totalCO2SavedKg, r.potentialCO2Kg))));
  const scale = (v) => Math.max(0, (v / max) * barW);
  const titleId = uid('chart-title');
  const descId = uid('chart-desc');
  const desc = rows.map((r) => `${r.department}: ${fmtKg(r.totalCO2SavedKg)} saved of ` +
    `${fmtKg(r.potentialCO2Kg)} potential`).join('; ');

  const grid = [];
  for (let i = 0; i <= 4; i += 1) {
    const x = barX + (barW * i) / 4;
    grid.push(
      svg('line', { class: 'chart-grid', x1: x, x2: x, y1: top, y2: height - axisH + 4 }),
      svg('text', {
        class: 'chart-axis', x, y: height - 8,
        'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle',
      }, tickLabel((max * i) / 4, i === 4)));
  }

  const bars = rows.map((r, i) => {
    const y = top + i * rowH;
    const isMe = r.department === mine;
    return svg('g', { class: ['chart-row', isMe && 'chart-row-me'], dataset: { department: r.department } },
      svg('text', { class: 'chart-label', x: barX, y: y + 16 }, `${r.rank}. ${r.department}${isMe ? ' (you)' : ''}`),
      svg('text', { class: 'chart-value', x: barX + barW, y: y + 16, 'text-anchor': 'end' },
        `${fmtKg(r.totalCO2SavedKg)} saved`),
      svg('rect', { class: 'bar-track', x: barX, y: y + 24, width: barW, height: 22, rx: 4 }),
      svg('rect', { class: 'bar-potential', x: barX, y: y + 24, width: scale(r.potentialCO2Kg), height: 22, rx: 4 }),
      svg('rect', { class: 'bar-saved', x: barX, y: y + 24, width: scale(r.totalCO2SavedKg), height: 22, rx: 4,
        dataset: { kg: r.totalCO2SavedKg } }));
  });

  const chart = svg('svg', {
    class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-labelledby': titleId, 'aria-describedby': descId,
  },
  svg('title', { id: titleId }, 'CO2 saved by department'),
  svg('desc', { id: descId }, desc),
  grid, bars);
  holder.replaceChildren(chart);
  holder.dataset.width = String(width);
}

export async function leaderboardView(root) {
  const body = h('div');
  replace(root,
    pageHeader('Leaderboard', 'Which departments give hardware a second life, and the CO2 that saves.'),
    body);
  let observer = null;

  async function load() {
    replace(body, loading('Loading the leaderboard…'));
    try {
      const { data } = await api.get('/leaderboard');
      const rows = (data || []).slice().sort((a, b) => a.rank - b.rank);
      if (rows.length === 0) {
        replace(body, emptyState('No department has posted hardware yet.',
          'Post something your team no longer needs, and your department appears here.',
          { href: '#/post', label: 'Post hardware' }));
        return;
      }
      const mine = user().department;
      const sum = (key) => rows.reduce((acc, r) => acc + (Number(r[key]) || 0), 0);
      const savedKg = sum('totalCO2SavedKg');
      const tiles = h('ul', { class: 'tiles', 'aria-label': 'Totals across all departments' },
        h('li', { class: 'tile' }, h('span', { class: 'tile-value', id: 'total-co2' }, fmtKg(savedKg)),
          h('span', { class: 'tile-label' }, 'CO2 saved by reuse')),
        h('li', { class: 'tile' }, h('span', { class: 'tile-value' }, fmtNumber(sum('itemsClaimed'))),
          h('span', { class: 'tile-label' }, 'items reused')),
        h('li', { class: 'tile' }, h('span', { class: 'tile-value', id: 'total-received' }, fmtNumber(sum('itemsReceived'))),
          h('span', { class: 'tile-label' }, 'of them received')),
        h('li', { class: 'tile' }, h('span', { class: 'tile-value' }, fmtNumber(Math.round((savedKg / 22) * 10) / 10)),
          h('span', { class: 'tile-label' }, 'trees’ yearly CO2')),
        h('li', { class: 'tile' }, h('span', { class: 'tile-value' }, fmtKg(sum('potentialCO2Kg'))),
          h('span', { class: 'tile-label' }, 'CO2 if all posted items are reused')));
      const holder = h('div', { class: 'chart-holder' });
      const legend = h('p', { class: 'legend' },
        h('span', { class: 'legend-item' },
          h('span', { class: 'swatch swatch-saved', 'aria-hidden': 'true' }), 'CO2 saved (items reused)'),
        h('span', { class: 'legend-item' },
          h('span', { class: 'swatch swatch-potential', 'aria-hidden': 'true' }), 'potential (all items posted)'));
      const table = h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Leaderboard table' },
        h('table', { class: 'table leaderboard' },
          h('thead', null, h('tr', null,
            ['Rank', 'Department', 'Posted', 'Reused', 'Received', 'CO2 saved', 'CO2 received', 'Trees', 'Pandas',
              'Potential CO2']
              .map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, rows.map((r) => h('tr', {
            class: r.department === mine ? 'is-me' : null, dataset: { department: r.department },
          },
          h('td', null, String(r.rank)),
          h('th', { scope: 'row' }, r.department, r.department === mine ? ' (you)' : ''),
          h('td', null, fmtNumber(r.itemsPosted)),
          h('td', null, fmtNumber(r.itemsClaimed)),
          h('td', { class: 'items-received' }, fmtNumber(r.itemsReceived)),
          h('td', { class: 'co2-saved' }, fmtKg(r.totalCO2SavedKg)),
          h('td', { class: 'co2-received' }, fmtKg(r.receivedCO2Kg)),
          h('td', null, fmtNumber(r.totalTreesEquivalent)),
          h('td', null, String(r.totalPandasProtected)),
          h('td', null, fmtKg(r.potentialCO2Kg)))))));
      replace(body, tiles,
        section('CO2 saved by department', legend, holder),
        section('All numbers', table,
          h('p', { class: 'hint' }, 'Per item reused: server 1,300 kg, storage 800 kg, networking 300 kg of CO2. ' +
            'Trees: the CO2 one tree absorbs in a year (22 kg). Pandas: 40,000 kg each.')));
      drawChart(holder, rows, mine);
      if (observer) observer.disconnect();
      observer = new ResizeObserver(() => {
        const w = Math.max(280, Math.floor(holder.clientWidth || 600));
        if (String(w) !== holder.dataset.width) drawChart(holder, rows, mine);
      });
      observer.observe(holder);
    } catch (err) {
      replace(body, loadError(err, load));
    }
  }

  await load();
  return () => { if (observer) observer.disconnect(); };
}
