// The page's glue: load dist/jangada_web.wasm (no imports, plain C-ABI exports, see
// web/src/exports.rs), hand it the bytes of the file the user picks, and draw the JSON it
// answers (the schema is in web/src/lib.rs). No framework, no bundler.
'use strict';

const WASM_URL = 'dist/jangada_web.wasm';
// How many values the "First values" list shows.
const VALUES_SHOWN = 50;

const $ = (id) => document.getElementById(id);

// ---- the decoder ---------------------------------------------------------------------

/** The compiled module, kept so that a new instance can replace one that trapped. */
let wasmModule = null;
/** The live instance's exports. */
let wasm = null;

async function loadDecoder() {
  const response = await fetch(WASM_URL);
  if (!response.ok) throw new Error(`${WASM_URL}: HTTP ${response.status} (run web/build.sh)`);
  wasmModule = await WebAssembly.compile(await response.arrayBuffer());
  await newInstance();
}

async function newInstance() {
  const instance = await WebAssembly.instantiate(wasmModule, {});
  wasm = instance.exports;
}

/** Copy `bytes` into a fresh buffer of the module; its address. */
function toWasm(bytes) {
  const ptr = wasm.jangada_alloc(bytes.length);
  new Uint8Array(wasm.memory.buffer, ptr, bytes.length).set(bytes);
  return ptr;
}

/** The JSON answer of the last call, `len` bytes long. */
function answer(len) {
  // A new view each time: the memory may have grown (and its buffer been replaced).
  const bytes = new Uint8Array(wasm.memory.buffer, wasm.jangada_output(), len);
  return JSON.parse(new TextDecoder().decode(bytes));
}

/**
 * Run `call` against the decoder. A trap (a bug: the library never panics on purpose, but
 * an allocation beyond the 4 GiB of wasm32 aborts) becomes an error answer, and the
 * instance is replaced, since its state is lost.
 */
async function guarded(call) {
  try {
    return call();
  } catch (e) {
    await newInstance();
    return { ok: false, error: `the decoder stopped (${e.message || e}); the file was closed` };
  }
}

async function openBytes(bytes) {
  // jangada_open takes the buffer over: no free here.
  return guarded(() => {
    const ptr = toWasm(bytes);
    return answer(wasm.jangada_open(ptr, bytes.length));
  });
}

async function preview(path) {
  return guarded(() => {
    const bytes = new TextEncoder().encode(path);
    const ptr = toWasm(bytes);
    try {
      return answer(wasm.jangada_preview(ptr, bytes.length));
    } finally {
      wasm.jangada_free(ptr, bytes.length);
    }
  });
}

// ---- formatting ----------------------------------------------------------------------

/** A DT of `jangada dump --json` as text. */
function dtypeText(dt) {
  return typeof dt === 'string' ? dt : JSON.stringify(dt);
}

/** One element of FLAT as text. */
function valueText(v) {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  return JSON.stringify(v);
}

/** FLAT element as a number for plots: NaN when it is not one ("nan", "inf", ...). */
function valueNumber(v) {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return NaN;
}

function shapeText(shape) {
  if (shape === null || shape === undefined) return 'null (no dataspace)';
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

function maxshapeText(maxshape) {
  if (!maxshape) return '—';
  return shapeText(maxshape.map((m) => (m === null ? 'unlimited' : m)));
}

function bytesText(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u += 1; }
  return `${v.toFixed(1)} ${units[u]} (${n} bytes)`;
}

function filterText(f) {
  return f.params.length ? `${f.name}(${f.params.join(', ')})` : f.name;
}

// ---- the page ------------------------------------------------------------------------

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = !message;
}

function row(table, name, value) {
  const tr = table.insertRow();
  const th = document.createElement('th');
  th.textContent = name;
  tr.appendChild(th);
  tr.insertCell().textContent = value;
  return tr;
}

/** The tree panel: nested lists, each object a clickable `.node` with its path. */
function drawTree(root) {
  const nav = $('tree');
  nav.textContent = '';
  const list = document.createElement('ul');
  list.appendChild(treeItem(root, '/'));
  nav.appendChild(list);
  if (root.truncated) {
    const note = document.createElement('p');
    note.textContent = `${root.truncated} more objects not listed`;
    nav.appendChild(note);
  }
}

function treeItem(node, label) {
  const li = document.createElement('li');
  const span = document.createElement('span');
  span.className = 'node';
  span.dataset.kind = node.kind;
  span.dataset.path = node.path;
  span.textContent = label;
  const hint = document.createElement('span');
  hint.className = 'hint';
  if (node.kind === 'dataset') hint.textContent = `${shapeText(node.shape)} ${node.type}`;
  else if (node.same_as) hint.textContent = `= ${node.same_as}`;
  else if (node.soft_link) hint.textContent = `→ ${node.soft_link}`;
  else if (node.kind === 'soft') hint.textContent = `→ ${node.target} (dangling)`;
  else if (node.kind === 'external') hint.textContent = `→ ${node.file}:${node.target}`;
  span.appendChild(hint);
  span.addEventListener('click', () => select(span, node));
  li.appendChild(span);
  if (node.members && node.members.length) {
    const ul = document.createElement('ul');
    for (const m of node.members) ul.appendChild(treeItem(m, m.name));
    li.appendChild(ul);
  }
  return li;
}

/**
 * The details panel of `node`; for a dataset, its preview too. `#details[data-done]` is
 * the path once everything is drawn (the test waits for it).
 */
async function select(span, node) {
  delete $('details').dataset.done;
  try {
    await showDetails(span, node);
  } finally {
    $('details').dataset.done = node.path;
  }
}

async function showDetails(span, node) {
  for (const s of document.querySelectorAll('.node.selected')) s.classList.remove('selected');
  span.classList.add('selected');
  showError(node.error ? `${node.path}: ${node.error}` : '');
  $('details').hidden = false;
  $('title').textContent = node.path;
  const meta = $('meta');
  meta.textContent = '';
  row(meta, 'Kind', node.kind);
  if (node.same_as) row(meta, 'Same object as', node.same_as);
  if (node.soft_link) row(meta, 'Soft link to', node.soft_link);
  if (node.target !== undefined) row(meta, 'Link target', node.target);
  if (node.file !== undefined) row(meta, 'File', node.file);
  if (node.members) row(meta, 'Members', String(node.members.length));
  if (node.dtype !== undefined) {
    row(meta, 'Type', node.type).id = 'meta-type';
    row(meta, 'dtype', dtypeText(node.dtype));
  }
  if (node.kind === 'dataset') {
    row(meta, 'Shape', shapeText(node.shape)).id = 'meta-shape';
    row(meta, 'Max shape', maxshapeText(node.maxshape));
    row(meta, 'Layout', node.layout + (node.external ? ' (external raw files)' : ''));
    row(meta, 'Chunks', node.chunks ? shapeText(node.chunks) : '—');
    if (node.chunk_index) row(meta, 'Chunk index', node.chunk_index);
    row(meta, 'Filters', node.filters.length ? node.filters.map(filterText).join(' → ') : 'none')
      .id = 'meta-filters';
  }
  drawAttrs(node.attrs || {});
  $('preview').hidden = true;
  if (node.kind !== 'dataset') return;
  const answer = await preview(node.path);
  if (!answer.ok) {
    showError(`${node.path}: ${answer.error}`);
    return;
  }
  if (answer.stored_bytes !== null) row(meta, 'Stored', bytesText(answer.stored_bytes));
  drawPreview(node, answer);
}

function drawAttrs(attrs) {
  const table = $('attrs');
  table.textContent = '';
  const names = Object.keys(attrs);
  if (!names.length) {
    row(table, '—', 'none');
    return;
  }
  for (const name of names) {
    const a = attrs[name];
    let text;
    if (a.error) text = `(unreadable: ${a.error})`;
    else if (a.data === null) text = 'null (no dataspace)';
    else if (a.shape.length === 0) text = valueText(a.data[0]);
    else text = `[${a.data.map(valueText).join(', ')}${a.truncated ? `, … ${a.truncated} more` : ''}]`;
    const tr = row(table, name, text);
    tr.dataset.attr = name;
    tr.title = `${a.type} ${shapeText(a.shape)}`;
  }
}

/** The last answer drawn, for redrawing with another colormap. */
let lastImage = null;

function drawPreview(node, answer) {
  $('preview').hidden = false;
  const sel = answer.selection.map(([a, b, s]) => (s === 1 ? `${a}:${b}` : `${a}:${b}:${s}`));
  const total = node.shape ? node.shape.reduce((p, d) => p * d, 1) : 0;
  $('preview-info').textContent = answer.kind === 'scalar'
    ? 'scalar'
    : `${answer.kind}: [${sel.join(', ')}] → ${shapeText(answer.shape)}, ${answer.data.length} of ${total} elements`;
  const values = $('values');
  values.textContent = '';
  for (const v of answer.data.slice(0, VALUES_SHOWN)) {
    const li = document.createElement('li');
    li.textContent = valueText(v);
    values.appendChild(li);
  }
  const canvas = $('plot');
  canvas.hidden = !(answer.kind === 'line' || answer.kind === 'image');
  $('cmap-controls').hidden = answer.kind !== 'image';
  $('range').textContent = '';
  lastImage = null;
  if (answer.kind === 'line') drawLine(canvas, answer.data.map(valueNumber));
  if (answer.kind === 'image') {
    const [h, w] = answer.shape.slice(-2);
    lastImage = { data: answer.data.map(valueNumber), w, h };
    drawImage(canvas, lastImage);
  }
}

/** Smallest and largest finite value ([0, 1] when there is none). */
function finiteRange(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

function drawLine(canvas, ys) {
  canvas.width = 640;
  canvas.height = 260;
  canvas.style.width = '';
  const ctx = canvas.getContext('2d');
  const [lo, hi] = finiteRange(ys);
  const pad = 30;
  const w = canvas.width - 2 * pad;
  const h = canvas.height - 2 * pad;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = '#ccd';
  ctx.strokeRect(pad, pad, w, h);
  ctx.fillStyle = '#555';
  ctx.font = '11px sans-serif';
  ctx.fillText(String(hi), 2, pad - 6);
  ctx.fillText(String(lo), 2, pad + h + 14);
  ctx.fillText(`0 … ${ys.length - 1}`, pad + w - 60, pad + h + 14);
  const span = hi - lo || 1;
  const x = (i) => pad + (ys.length > 1 ? (i * w) / (ys.length - 1) : w / 2);
  const y = (v) => pad + h - ((v - lo) / span) * h;
  ctx.strokeStyle = '#1f5fbf';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  let pen = false;
  ys.forEach((v, i) => {
    if (!Number.isFinite(v)) { pen = false; return; }
    if (pen) ctx.lineTo(x(i), y(v)); else ctx.moveTo(x(i), y(v));
    pen = true;
  });
  if (ys.length === 1) ctx.arc(x(0), y(ys[0]), 2, 0, 2 * Math.PI);
  ctx.stroke();
  $('range').textContent = `min ${lo}, max ${hi}`;
}

// viridis, 9 stops (matplotlib), interpolated linearly.
const VIRIDIS = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]];

function colour(t, map) {
  if (map === 'gray') { const g = Math.round(255 * t); return [g, g, g]; }
  const x = t * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(x), VIRIDIS.length - 2);
  const f = x - i;
  return VIRIDIS[i].map((c, k) => Math.round(c + f * (VIRIDIS[i + 1][k] - c)));
}

function drawImage(canvas, { data, w, h }) {
  canvas.width = w;
  canvas.height = h;
  // Scaled up (pixelated) to about 512 pixels on the longer side.
  const scale = Math.max(1, Math.floor(512 / Math.max(w, h)));
  canvas.style.width = `${w * scale}px`;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  const [lo, hi] = finiteRange(data);
  const span = hi - lo || 1;
  const map = $('cmap').value;
  data.forEach((v, i) => {
    const o = 4 * i;
    if (!Number.isFinite(v)) { img.data.set([255, 0, 255, 255], o); return; }
    img.data.set([...colour((v - lo) / span, map), 255], o);
  });
  ctx.putImageData(img, 0, 0);
  $('range').textContent = `${w}×${h} pixels, ${map}: ${lo} … ${hi} (non-finite: magenta)`;
}

/** Open a picked file; `body[data-opened]` is its name once done (the test waits for it). */
async function openFile(file) {
  delete document.body.dataset.opened;
  try {
    await openPicked(file);
  } finally {
    document.body.dataset.opened = file.name;
  }
}

async function openPicked(file) {
  showError('');
  $('details').hidden = true;
  $('tree').textContent = '';
  $('status').textContent = `reading ${file.name}…`;
  const bytes = new Uint8Array(await file.arrayBuffer());
  const t0 = performance.now();
  const answer = await openBytes(bytes);
  const ms = (performance.now() - t0).toFixed(0);
  if (!answer.ok) {
    $('status').textContent = `${file.name}: not opened`;
    showError(`Cannot open ${file.name}: ${answer.error}`);
    return;
  }
  $('status').textContent =
    `${file.name}: ${bytesText(answer.size)}, superblock v${answer.superblock}, read in ${ms} ms`;
  drawTree(answer.tree);
  const first = document.querySelector('#tree .node');
  if (first) await select(first, answer.tree);
}

window.addEventListener('DOMContentLoaded', async () => {
  $('file').disabled = true;
  try {
    await loadDecoder();
  } catch (e) {
    $('status').textContent = 'no decoder';
    showError(`Cannot load the decoder: ${e.message || e}`);
    return;
  }
  $('file').disabled = false;
  $('status').textContent = 'ready: pick a file, or drop one on the page';
  document.body.dataset.ready = 'true';
  $('file').addEventListener('change', (e) => { if (e.target.files[0]) openFile(e.target.files[0]); });
  $('cmap').addEventListener('change', () => { if (lastImage) drawImage($('plot'), lastImage); });
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    if (e.dataTransfer.files[0]) openFile(e.dataTransfer.files[0]);
  });
});
