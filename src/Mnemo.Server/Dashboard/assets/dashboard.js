// Mnemo dashboard: reads the JSON of ./api/ and draws it. Every figure comes from the server as the records give it;
// this script formats numbers and draws, it does not compute them. Text from the records is set as text, never as HTML.
'use strict';

const $ = (id) => document.getElementById(id);
const int = (n) => Number(n ?? 0).toLocaleString('en-US');
const usd = (n) => '$' + Number(n ?? 0).toFixed(4);
const keyName = 'mnemo-dashboard-key';
let overview = null;

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  const key = sessionStorage.getItem(keyName);
  if (key) headers['Authorization'] = 'Bearer ' + key;
  const response = await fetch('api/' + path, Object.assign({}, options, { headers }));
  if (response.status === 401) {
    $('key-form').hidden = false;
    throw new Error('This dashboard needs an API key.');
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body?.error?.message || ('The server answered ' + response.status + '.'));
  return body;
}

function status(text, ok) { $('status').textContent = text || ''; $('status').className = ok ? 'ok' : ''; }

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function row(table, cells, onClick) {
  const tr = document.createElement('tr');
  for (const [text, numeric] of cells) tr.appendChild(el('td', text, numeric ? 'n' : undefined));
  if (onClick) { tr.className = 'link'; tr.addEventListener('click', onClick); }
  $(table).querySelector('tbody').appendChild(tr);
  return tr;
}

function clear(table) { $(table).querySelector('tbody').replaceChildren(); }

function svg(tag, attributes, text) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function query() {
  const params = new URLSearchParams();
  for (const name of ['store', 'agent', 'model', 'from', 'to']) {
    const value = $('filter-' + name).value;
    if (value) params.set(name, value);
  }
  return params.toString();
}

function fillChoices(id, values) {
  const select = $(id);
  const current = select.value;
  select.replaceChildren(el('option', 'all'));
  select.firstChild.value = '';
  for (const value of values) { const option = el('option', value); option.value = value; select.appendChild(option); }
  select.value = values.includes(current) ? current : '';
}

async function loadOverview() {
  status('');
  try {
    const body = await api('overview?' + query());
    overview = body.overview;
    const totals = overview.totals;
    $('total-sessions').textContent = int(overview.session_count);
    $('total-requests').textContent = int(totals.requests);
    $('total-input').textContent = int(totals.input_tokens);
    $('total-saved-tokens').textContent = int(totals.saved_tokens);
    $('total-cost').textContent = usd(totals.cost_usd);
    $('total-saved-cost').textContent = usd(totals.saved_cost_usd);
    $('total-clearings').textContent = int(totals.clearings);
    $('total-compactions').textContent = int(totals.compactions);
    $('total-warnings').textContent = int(totals.warnings);
    $('total-reacquisitions').textContent = int(totals.reacquisitions);
    $('total-recalls').textContent = int(totals.recalls);
    $('total-memory-writes').textContent = int(totals.memory_writes);
    $('preserved').textContent = int(totals.preserved);
    $('not-preserved').textContent = int(totals.not_preserved);
    $('not-warned').textContent = int(totals.not_warned);
    $('mean-save-seconds').textContent = overview.mean_seconds_to_save === null ? 'none' : Number(overview.mean_seconds_to_save).toFixed(2);
    $('skipped-lines').textContent = int(totals.skipped_lines);
    fillChoices('filter-store', overview.choices.stores);
    fillChoices('filter-agent', overview.choices.agents);
    fillChoices('filter-model', overview.choices.models);
    drawDays(overview.days);
    drawOutcomes(totals);
    clear('sessions');
    for (const s of overview.sessions) {
      row('sessions', [
        [(s.started || '').replace('T', ' ').slice(0, 19)], [s.session], [s.agent || ''], [s.model || ''], [s.store || ''], [s.source],
        [int(s.requests), true], [int(s.input_tokens), true], [int(s.saved_tokens), true], [usd(s.cost_usd), true], [int(s.clearings), true],
        [s.preserved + ' / ' + s.not_preserved + ' / ' + s.not_warned],
      ], () => loadSession(s.session, s.store)).dataset.session = s.session;
    }
    clear('largest-files');
    for (const f of overview.largest_files) row('largest-files', [[f.path], [int(f.bytes), true], [int(f.writes), true]]);
    clear('most-read-files');
    for (const f of overview.most_read_files) row('most-read-files', [[f.path], [int(f.reads), true]]);
    clear('quotas');
    const measured = body.stores.filter((s) => s.files !== undefined);
    $('quota-panel').hidden = measured.length === 0;
    for (const store of measured) {
      const share = store.max_bytes ? (100 * store.bytes / store.max_bytes).toFixed(2) + ' %' : 'no quota';
      row('quotas', [[store.name], [int(store.files), true], [int(store.bytes), true], [share, true]]);
    }
    fillMemoryStores(body.stores.filter((s) => s.memory));
    document.body.dataset.loaded = 'overview';
  } catch (error) {
    status(error.message);
  }
}

function drawDays(days) {
  const width = 900, height = 220, left = 70, bottom = 30, top = 10;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Input tokens per day' });
  const max = Math.max(1, ...days.map((d) => d.input_tokens + d.saved_tokens));
  const slot = (width - left - 10) / Math.max(1, days.length);
  const y = (v) => height - bottom - (v / max) * (height - bottom - top);
  chart.appendChild(svg('line', { x1: left, x2: width - 10, y1: y(0), y2: y(0), stroke: '#999' }));
  chart.appendChild(svg('text', { x: left - 6, y: y(max) + 4, 'text-anchor': 'end', class: 'axis' }, int(max)));
  days.forEach((d, i) => {
    const x = left + i * slot + slot * 0.15, w = slot * 0.7;
    const bar = svg('rect', { x, width: w, y: y(d.input_tokens), height: y(0) - y(d.input_tokens), fill: '#2f6fde' });
    bar.appendChild(svg('title', {}, `${d.day}: ${int(d.sessions)} sessions, ${int(d.input_tokens)} input tokens, ${int(d.saved_tokens)} saved, ${usd(d.cost_usd)}`));
    chart.appendChild(bar);
    chart.appendChild(svg('rect', { x, width: w, y: y(d.input_tokens + d.saved_tokens), height: y(d.input_tokens) - y(d.input_tokens + d.saved_tokens), fill: '#9cc3ff' }));
    if (w >= 18) {
      chart.appendChild(svg('text', { x: x + w / 2, y: y(d.input_tokens + d.saved_tokens) - 4, 'text-anchor': 'middle', class: 'axis day-sessions' }, int(d.sessions)));
    }
    if (days.length <= 31 || i % Math.ceil(days.length / 31) === 0) {
      chart.appendChild(svg('text', { x: x + w / 2, y: height - 12, 'text-anchor': 'middle', class: 'axis' }, d.day.slice(5)));
    }
  });
  $('chart-days').replaceChildren(chart);
}

function drawOutcomes(totals) {
  const width = 900, height = 40;
  const parts = [['preserved', totals.preserved, '#2e7d32'], ['not preserved', totals.not_preserved, '#c62828'], ['not warned', totals.not_warned, '#e69a00']];
  const sum = parts.reduce((a, p) => a + p[1], 0);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Preservation outcomes' });
  let x = 0;
  for (const [name, count, color] of parts) {
    if (!sum || !count) continue;
    const w = width * count / sum;
    const rect = svg('rect', { x, y: 0, width: w, height: 28, fill: color });
    rect.appendChild(svg('title', {}, `${name}: ${count}`));
    chart.appendChild(rect);
    if (w > 80) chart.appendChild(svg('text', { x: x + 6, y: 18, fill: '#fff', 'font-size': 12 }, `${name} ${count}`));
    x += w;
  }
  if (!sum) chart.appendChild(svg('text', { x: 0, y: 18, class: 'axis' }, 'No clearing yet.'));
  $('chart-outcomes').replaceChildren(chart);
}

async function loadSession(id, store) {
  status('');
  try {
    const s = await api('sessions/' + encodeURIComponent(id) + (store ? '?store=' + encodeURIComponent(store) : ''));
    $('session-detail').hidden = false;
    $('detail-id').textContent = s.session;
    $('detail-requests').textContent = int(s.summary.requests);
    $('detail-input').textContent = int(s.summary.input_tokens);
    $('detail-saved-tokens').textContent = int(s.summary.saved_tokens);
    $('detail-cost').textContent = usd(s.summary.cost_usd);
    $('detail-saved-cost').textContent = usd(s.summary.saved_cost_usd);
    $('detail-clearings').textContent = int(s.summary.clearings);
    $('detail-reacquisitions').textContent = int(s.summary.reacquisitions) + ' / ' + int(s.summary.recalls);
    drawRequests(s);
    clear('detail-preservations');
    for (const p of s.preservations) {
      row('detail-preservations', [[p.outcome.replace('_', ' ')], [p.warned_request ?? '–', true], [int(p.saves), true],
        [p.seconds_to_save === undefined ? '–' : Number(p.seconds_to_save).toFixed(3), true], [p.covered + ' / ' + p.not_covered, true]]);
    }
    clear('detail-files');
    for (const f of s.files) row('detail-files', [[f.path], [int(f.reads), true], [int(f.writes), true], [int(f.bytes), true]]);
    document.body.dataset.loaded = 'session';
    $('session-detail').scrollIntoView();
  } catch (error) {
    status(error.message);
  }
}

function drawRequests(s) {
  const width = 900, height = 260, left = 70, bottom = 30, top = 14;
  const requests = s.requests;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Input tokens per request' });
  const max = Math.max(1, s.trigger_tokens || 0, ...requests.map((r) => Math.max(r.input_tokens, r.projected_tokens)));
  const x = (i) => left + (requests.length <= 1 ? 0 : i * (width - left - 20) / (requests.length - 1));
  const y = (v) => height - bottom - (v / max) * (height - bottom - top);
  chart.appendChild(svg('line', { x1: left, x2: width - 10, y1: y(0), y2: y(0), stroke: '#999' }));
  chart.appendChild(svg('text', { x: left - 6, y: y(max) + 4, 'text-anchor': 'end', class: 'axis' }, int(max)));
  const level = (value, color, name) => {
    if (!value) return;
    chart.appendChild(svg('line', { x1: left, x2: width - 10, y1: y(value), y2: y(value), stroke: color, 'stroke-dasharray': '6 4' }));
    chart.appendChild(svg('text', { x: width - 12, y: y(value) - 4, 'text-anchor': 'end', fill: color, 'font-size': 11 }, `${name} ${int(value)}`));
  };
  level(s.trigger_tokens, '#c62828', 'trigger');
  level(s.warning_tokens, '#e69a00', 'warning');
  const path = (key, attrs) => chart.appendChild(svg('polyline', Object.assign({ fill: 'none', points: requests.map((r, i) => `${x(i)},${y(r[key])}`).join(' ') }, attrs)));
  path('projected_tokens', { stroke: '#9cc3ff', 'stroke-dasharray': '4 3' });
  path('input_tokens', { stroke: '#2f6fde', 'stroke-width': 2 });
  requests.forEach((r, i) => {
    const point = svg('circle', { cx: x(i), cy: y(r.input_tokens), r: r.warned ? 5 : 3, fill: r.warned ? '#e69a00' : '#2f6fde' });
    point.appendChild(svg('title', {}, `request ${r.request}: ${int(r.input_tokens)} input tokens (projected ${int(r.projected_tokens)}), ${int(r.cleared_input_tokens)} cleared`));
    chart.appendChild(point);
    if (r.cleared_tool_uses > 0 || r.compacted) {
      chart.appendChild(svg('text', { x: x(i), y: y(r.input_tokens) - 8, 'text-anchor': 'middle', fill: '#c62828', 'font-size': 12, class: 'clearing-mark' }, '▼'));
    }
    if (requests.length <= 40 || i % Math.ceil(requests.length / 40) === 0) {
      chart.appendChild(svg('text', { x: x(i), y: height - 12, 'text-anchor': 'middle', class: 'axis' }, r.request));
    }
  });
  $('chart-requests').replaceChildren(chart);
}

// The memory browser.
let memoryStores = [];
let currentFile = null;

function fillMemoryStores(stores) {
  memoryStores = stores;
  const select = $('memory-store');
  const current = select.value;
  select.replaceChildren(...stores.map((s) => { const o = el('option', s.name); o.value = s.name; return o; }));
  if (stores.some((s) => s.name === current)) select.value = current;
}

function memoryStore() { return memoryStores.find((s) => s.name === $('memory-store').value); }

function memoryPath(what, params) {
  return 'memory/' + encodeURIComponent($('memory-store').value) + '/' + what + (params ? '?' + new URLSearchParams(params) : '');
}

async function loadTree(mark = true) {
  status('');
  const store = memoryStore();
  if (!store) { $('memory-mode').textContent = 'No store with memory to browse.'; return; }
  $('memory-mode').textContent = store.admin ? 'Admin: restore and redact are on.' : 'Read-only: restore and redact need an admin key.';
  try {
    const tree = await api(memoryPath('tree'));
    const list = $('memory-tree');
    list.replaceChildren();
    for (const entry of tree.entries) {
      const depth = entry.path.split('/').length - 2;
      const item = el('li', '  '.repeat(depth) + entry.path.split('/').pop() + (entry.directory ? '/' : ''), entry.directory ? 'dir' : 'file');
      item.style.paddingLeft = (depth * 12) + 'px';
      item.dataset.path = entry.path;
      if (!entry.directory) {
        item.appendChild(el('span', int(entry.size) + ' B' + (entry.changed ? ' · ' + entry.changed.replace('T', ' ').slice(0, 16) : ''), 'size'));
        item.addEventListener('click', () => loadFile(entry.path));
      }
      list.appendChild(item);
    }
    const findings = await api(memoryPath('findings'));
    clear('findings');
    for (const f of findings.findings) row('findings', [[f.path], [f.kind], [f.rule], [f.line, true]]);
    clear('quarantine');
    for (const q of findings.quarantine) row('quarantine', [[q.time.replace('T', ' ').slice(0, 19)], [q.path], [q.reason]]);
    if (mark) document.body.dataset.loaded = 'tree';
  } catch (error) {
    status(error.message);
  }
}

async function loadFile(path) {
  status('');
  currentFile = path;
  try {
    const file = await api(memoryPath('file', { path }));
    $('file-path').textContent = path;
    const lines = file.exists ? file.content.split('\n') : [];
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    $('file-content').textContent = file.exists ? lines.map((line, i) => String(i + 1).padStart(6, ' ') + '\t' + line).join('\n') : '(deleted)';
    const history = await api(memoryPath('history', { path }));
    clear('file-history');
    const admin = memoryStore()?.admin;
    const from = $('diff-from'), to = $('diff-to');
    from.replaceChildren(); to.replaceChildren();
    for (const c of history.changes) {
      const tr = row('file-history', [[c.seq, true], [c.time.replace('T', ' ').slice(0, 19)], [c.op + (c.from ? ' from ' + c.from : '')], [c.actor], [c.reason], [c.redacted ? 'redacted' : int(c.size), true]]);
      const actions = el('td');
      if (admin && c.op !== 'delete' && !c.redacted) {
        const restore = el('button', 'Restore'); restore.type = 'button'; restore.dataset.action = 'restore';
        restore.addEventListener('click', () => change('restore', path, c.seq));
        const redact = el('button', 'Redact'); redact.type = 'button'; redact.dataset.action = 'redact';
        redact.addEventListener('click', () => change('redact', path, c.seq));
        actions.append(restore, ' ', redact);
      }
      tr.appendChild(actions);
      for (const select of [from, to]) { const o = el('option', '#' + c.seq); o.value = c.seq; select.appendChild(o); }
    }
    $('diff-form').hidden = history.changes.length < 2;
    if (history.changes.length >= 2) { from.selectedIndex = history.changes.length - 2; to.selectedIndex = history.changes.length - 1; }
    $('file-diff').replaceChildren();
    document.body.dataset.loaded = 'file';
  } catch (error) {
    status(error.message);
  }
}

async function showDiff(event) {
  event.preventDefault();
  try {
    const diff = await api(memoryPath('diff', { path: currentFile, from: $('diff-from').value, to: $('diff-to').value }));
    const out = $('file-diff');
    out.replaceChildren(...diff.diff.split('\n').map((line) => el('div', line, line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : undefined)));
    document.body.dataset.loaded = 'diff';
  } catch (error) {
    status(error.message);
  }
}

async function change(action, path, seq) {
  const question = action === 'restore' ? `Restore ${path} to version #${seq}?` : `Redact version #${seq} of ${path}? Its content is removed from the history for good.`;
  if (!window.confirm(question)) return;
  try {
    const result = await api(memoryPath(action), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path, seq }) });
    await loadTree(false);
    await loadFile(path);
    status(result.message, true);
  } catch (error) {
    status(error.message);
  }
}

function show(view) {
  $('sessions-view').hidden = view !== 'sessions';
  $('memory-view').hidden = view !== 'memory';
  $('filters').hidden = view !== 'sessions';
  $('tab-sessions').classList.toggle('active', view === 'sessions');
  $('tab-memory').classList.toggle('active', view === 'memory');
  if (view === 'memory') loadTree();
}

document.addEventListener('DOMContentLoaded', () => {
  $('filters').addEventListener('submit', (event) => { event.preventDefault(); loadOverview(); });
  $('key').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(keyName, $('key-value').value);
    $('key-form').hidden = true;
    loadOverview();
  });
  $('tab-sessions').addEventListener('click', () => show('sessions'));
  $('tab-memory').addEventListener('click', () => show('memory'));
  $('memory-store').addEventListener('change', () => loadTree());
  $('diff-form').addEventListener('submit', showDiff);
  loadOverview();
});
