// The page in headless Chromium (run by web/test.sh): node test.mjs BASE_URL EXPECTED_JSON SCREENSHOT
// Opens fixtures through the file input, selects datasets and checks what the page shows
// against what h5py read (EXPECTED_JSON, written by test_data.py).
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const [base, expectedPath, screenshot] = process.argv.slice(2);
const expected = JSON.parse(readFileSync(expectedPath, 'utf8'));

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });

let checks = 0;
function check(what, fn) {
  try {
    fn();
    checks += 1;
  } catch (e) {
    e.message = `${what}: ${e.message}`;
    throw e;
  }
}

const text = (selector) => page.locator(selector).first().innerText();

async function open(file) {
  const name = file.split('/').pop();
  await page.setInputFiles('#file', file);
  await page.waitForSelector(`body[data-opened="${name}"]`);
}

async function selectNode(path) {
  await page.click(`#tree .node[data-path="${path}"]`);
  await page.waitForSelector(`#details[data-done="${path}"]`);
}

/** The "First values" list as numbers (or strings for string data). */
async function shownValues() {
  return page.locator('#values li').allInnerTexts();
}

function sameValues(what, shown, want) {
  check(`${what}: first values`, () => {
    assert.ok(shown.length > 0, 'no values shown');
    const n = Math.min(shown.length, want.length);
    for (let i = 0; i < n; i += 1) {
      const w = want[i];
      if (typeof w === 'string') assert.equal(shown[i], JSON.stringify(w), `value ${i}`);
      else assert.equal(Number(shown[i]), w, `value ${i}`);
    }
  });
}

/** Pixels of the canvas that are not the background, and distinct colours. */
async function canvasInk() {
  return page.evaluate(() => {
    const c = document.getElementById('plot');
    if (c.hidden) return { ink: 0, colours: 0, width: 0, height: 0 };
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] > 0 && !(d[i] === 255 && d[i + 1] === 255 && d[i + 2] === 255)) ink += 1;
      colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    }
    return { ink, colours: colours.size, width: c.width, height: c.height };
  });
}

async function checkDataset(what, path, want, kind) {
  await selectNode(path);
  const error = (await page.isVisible('#error')) ? await text('#error') : '';
  check(`${what}: no error`, () => assert.equal(error, ''));
  const shape = `(${want.shape.join(', ')}${want.shape.length === 1 ? ',' : ''})`;
  const shownShape = await text('#meta-shape td');
  const shownType = await text('#meta-type td');
  check(`${what}: shape`, () => assert.equal(shownShape, shape));
  check(`${what}: dtype`, () => assert.equal(shownType, want.dtype === 'str' ? 'variable-length string' : want.dtype));
  sameValues(what, await shownValues(), want.first);
  const ink = await canvasInk();
  if (kind === 'line') check(`${what}: line drawn`, () => assert.ok(ink.ink > 200, JSON.stringify(ink)));
  if (kind === 'image') {
    check(`${what}: image drawn`, () => assert.ok(ink.ink > 0.9 * ink.width * ink.height && ink.colours > 8,
      JSON.stringify(ink)));
  }
  if (kind === 'values') check(`${what}: no canvas`, () => assert.equal(ink.width, 0));
  return ink;
}

try {
  await page.goto(`${base}index.html`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });

  // netCDF-4 (netCDF-C): the tree, attributes, a 1-D and a 2-D chunked+filtered variable.
  const nc = expected.nc4;
  await open(nc.file);
  const names = await page.locator('#tree .node[data-path^="/"]').evaluateAll(
    (spans) => spans.map((s) => s.dataset.path));
  check('nc4: tree names', () => {
    for (const m of nc.members) assert.ok(names.includes(`/${m}`), `/${m} missing from ${names}`);
  });
  const [rootAttr, rootValue] = nc.root_attr;
  const shownRoot = await text(`#attrs tr[data-attr="${rootAttr}"] td`);
  check('nc4: root attribute', () => assert.equal(shownRoot, JSON.stringify(rootValue)));
  await checkDataset('nc4 /x', '/x', nc.x, 'line');
  const [xAttr, xValue] = nc.x_attr;
  const shownX = await text(`#attrs tr[data-attr="${xAttr}"] td`);
  check('nc4 /x: attribute', () => assert.equal(shownX, JSON.stringify(xValue)));
  await checkDataset('nc4 /zlib9_shuffle', '/zlib9_shuffle', nc.zlib9_shuffle, 'image');
  const filters = await text('#meta-filters td');
  check('nc4 /zlib9_shuffle: filters', () => assert.match(filters, /shuffle.*deflate/));

  // h5py: chunked with shuffle+deflate+fletcher32, a 2-D uint16, variable-length strings.
  const flt = expected.filters;
  await open(flt.file);
  await checkDataset('filters 1-D', '/shuffle_deflate_fletcher32', flt.shuffle_deflate_fletcher32, 'line');
  const f2 = await text('#meta-filters td');
  check('filters 1-D: filters', () => assert.match(f2, /shuffle.*deflate.*fletcher32/));
  await checkDataset('filters 2-D', '/deflate_2d_u2', flt.deflate_2d_u2, 'image');
  await checkDataset('filters strings', '/deflate_strings', flt.deflate_strings, 'values');

  // Larger than a preview: the image downsampled by 3 (500 x 334), the line cut at 4096.
  const big = expected.big;
  await open(big.file);
  await checkDataset('big /series/line', '/series/line', big.line, 'line');
  const info = await text('#preview-info');
  check('big line: 4096 values', () => assert.match(info, /4096 of 100000 elements/));
  const ink = await checkDataset('big /image', '/image', big.image, 'image');
  check('big image: downsampled', () => assert.deepEqual([ink.width, ink.height], [334, 500]));
  const units = await text('#attrs tr[data-attr="units"] td');
  check('big image: attribute', () => assert.equal(units, JSON.stringify(big.units)));
  await page.screenshot({ path: screenshot, fullPage: true });

  // Errors are shown in the page: no HDF5 signature; a damaged chunk; an unsupported filter.
  await open(expected.corrupt);
  const corrupt = await text('#error');
  check('corrupt: error shown', () => assert.match(corrupt, /Cannot open corrupt\.h5: .*signature/i));
  const nodes = await page.locator('#tree .node').count();
  check('corrupt: no tree', () => assert.equal(nodes, 0));

  await open(expected.badchunk);
  await selectNode('/deflate_1');
  const bad = await text('#error');
  check('damaged chunk: error shown', () => assert.match(bad, /\/deflate_1: .*(deflate|corrupt)/i));

  await open(expected.sz.file);
  await selectNode(expected.sz.dataset);
  const sz = await text('#error');
  check('SZ: unsupported filter shown', () => assert.match(sz, /unsupported filter 32017/));

  // And the page still works after all that.
  await open(nc.file);
  await checkDataset('nc4 again', '/zlib9_shuffle', nc.zlib9_shuffle, 'image');

  check('no page errors', () => assert.deepEqual(pageErrors, []));
  console.log(`web test: ${checks} checks passed`);
} finally {
  await browser.close();
}
