// la3d dashboard: polls the JSON API, draws the score chart with uPlot, sends control changes.
'use strict';

const METHODS = ['mask', 'edge', 'blur', 'pixelization', 'adaptive_blur', 'adaptive_full_blur',
  'adaptive_max_blur', 'adaptive_pixelization', 'adaptive_max_pixelization'];
const $ = (id) => document.getElementById(id);
// The camera this page details: /cam/NAME/ names it; / is the first camera (and the grid of all).
const BASE = (location.pathname.match(/^\/cam\/[A-Za-z0-9._-]{1,64}/) || [''])[0];

let chart = null;
let threshold = 0.5;
let snippetSeconds = 16 / 25;  // a score covers its 16-frame snippet

// Shades the spans where the score is at or above the threshold, under the lines.
function shadeAlerts(u) {
  const xs = u.data[0], ys = u.data[1];
  const { ctx } = u;
  const top = u.valToPos(1.05, 'y', true), bottom = u.valToPos(0, 'y', true);
  ctx.save();
  ctx.fillStyle = 'rgba(255, 70, 70, 0.25)';
  for (let i = 0; i < xs.length; i++) {
    if (ys[i] < threshold) continue;
    const x0 = u.valToPos(xs[i], 'x', true);
    const x1 = u.valToPos(i + 1 < xs.length ? xs[i + 1] : xs[i] + snippetSeconds, 'x', true);
    ctx.fillRect(x0, top, Math.max(4, x1 - x0), bottom - top);
  }
  ctx.restore();
}

function makeChart() {
  const el = $('chart');
  chart = new uPlot({
    width: Math.max(640, el.clientWidth || 640), height: 240,
    scales: { x: { time: false }, y: { range: [0, 1.05] } },
    axes: [{ stroke: '#ccc', label: 'time (s)', incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600] },
      { stroke: '#ccc', label: 'score' }],
    series: [{ label: 'time (s)', value: (u, v) => (v == null ? '' : v.toFixed(1)) },
      { label: 'VAD score', stroke: '#4af', width: 2, paths: uPlot.paths.stepped({ align: 1 }) },
      { label: 'alert threshold', stroke: '#f66', dash: [6, 4] }],
    hooks: { drawClear: [shadeAlerts] },
  }, [[], [], []], el);
}

async function getJson(url) {
  const r = await fetch(url, { credentials: 'same-origin' });
  if (!r.ok) throw new Error(url + ': ' + r.status);
  return r.json();
}

function showStatus(s) {
  const health = s.health && s.health.state !== 'running' ? ` · ${s.health.state} ${s.health.message}` : '';
  $('source').textContent = `${s.camera}: ${s.source} · ${s.fps.toFixed(1)} fps · ${s.people_hidden} hidden${health}`;
  const order = s.stage_order || Object.keys(s.stages_ms);
  $('stages').innerHTML = order.filter((k) => k in s.stages_ms)
    .map((k) => `<tr><td>${k}</td><td>${s.stages_ms[k].toFixed(1)} ms</td></tr>`).join('');
  $('rate').textContent = `${s.fps.toFixed(1)} frames/s served · ${s.viewers} viewer(s)`;
  const thr = $('threshold');
  if (document.activeElement !== thr) thr.value = s.vad.threshold;
  $('threshold_v').textContent = Number(s.vad.threshold).toFixed(2);
  const c = s.config;
  const sel = $('method');
  if (document.activeElement !== sel) sel.value = c.method;
  sel.dataset.active = c.method;
  for (const k of ['an_scale', 'an_bound']) {
    if (document.activeElement !== $(k)) $(k).value = c[k];
    $(k + '_v').textContent = Number(c[k]).toFixed(2);
  }
  const cmp = $('compare-method');
  if (document.activeElement !== cmp) cmp.value = c.compare || '';
  $('compare-box').hidden = !c.compare;
  $('main-caption').textContent = c.method;
  $('compare-caption').textContent = c.compare || '';
  $('vad-head').textContent = s.vad.state === 'off' ? '(VAD off)' : `(${s.vad.head})`;
  $('alert').hidden = !s.vad.alert;
}

function showScores(d) {
  threshold = d.threshold;
  const fps = d.fps > 0 ? d.fps : 25;
  snippetSeconds = 16 / fps;
  const xs = d.points.map((p) => p.frame / fps);
  const ys = d.points.map((p) => p.score);
  chart.setData([xs, ys, xs.map(() => threshold)]);
  $('chart').dataset.points = String(d.points.length);
}

function showEvents(events) {
  $('events').innerHTML = events.map((e) =>
    `<li><img src="${e.thumbnail}" alt="event ${e.id}">#${e.id} frame ${e.frame} ` +
    `(${e.time_s.toFixed(1)} s) peak ${e.peak.toFixed(2)} <small>${e.wall_time}</small></li>`).join('');
}

// Several cameras: a grid of their anonymized streams, each with a strip of its latest scores;
// a tile opens that camera's detailed view (/cam/NAME/).
function drawStrip(canvas, d) {
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height, n = d.points.length;
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = '#222';
  ctx.fillRect(0, 0, w, h);
  const bw = w / 60;
  d.points.forEach((p, i) => {
    ctx.fillStyle = p.score >= d.threshold ? '#f55' : '#4af';
    const bh = Math.max(1, p.score * h);
    ctx.fillRect(w - (n - i) * bw, h - bh, Math.max(1, bw - 1), bh);
  });
  canvas.dataset.points = String(n);
}

async function showGrid() {
  const grid = $('grid');
  if (BASE) {  // one camera's page: no grid, a way back to it
    grid.hidden = true;
    $('back').hidden = false;
    return;
  }
  const cams = await getJson('/api/cameras');
  if (cams.length < 2) {
    grid.hidden = true;
    return;
  }
  grid.hidden = false;
  for (const c of cams) {
    let tile = grid.querySelector(`[data-camera="${c.camera}"]`);
    if (!tile) {
      tile = document.createElement('a');
      tile.className = 'tile';
      tile.dataset.camera = c.camera;
      tile.href = `/cam/${c.camera}/`;
      tile.innerHTML = `<img src="/cam/${c.camera}/stream.mjpg" alt="${c.camera}, anonymized">` +
        '<canvas width="320" height="36"></canvas><div class="caption"></div>';
      grid.appendChild(tile);
    }
    const health = c.health.state === 'running' ? '' : ` · ${c.health.state}`;
    const score = c.vad.latest_score === undefined ? '' : ` · score ${c.vad.latest_score.toFixed(2)}`;
    tile.querySelector('.caption').textContent =
      `${c.camera} · ${c.method} · ${c.fps.toFixed(1)} fps · ${c.people_hidden} hidden${score} · ${c.events} event(s)${health}`;
    tile.classList.toggle('alerting', !!c.vad.alert);
    drawStrip(tile.querySelector('canvas'), await getJson(`/cam/${c.camera}/api/scores?n=60`));
  }
}

async function sendConfig(change) {
  const r = await fetch(BASE + '/api/config', {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(change),
  });
  const body = await r.json();
  $('config-error').hidden = r.ok;
  if (!r.ok) $('config-error').textContent = body.error;
}

async function tick() {
  try {
    const [s, d, e] = await Promise.all([getJson(BASE + '/api/status'), getJson(BASE + '/api/scores'), getJson(BASE + '/api/events')]);
    showStatus(s);
    showScores(d);
    showEvents(e);
    await showGrid();
  } catch (err) {
    $('source').textContent = 'disconnected: ' + err.message;
  }
}

function init() {
  $('stream').src = BASE + '/stream.mjpg';
  const sel = $('method');
  sel.innerHTML = METHODS.map((m) => `<option value="${m}">${m}</option>`).join('');
  sel.addEventListener('change', () => sendConfig({ method: sel.value }));
  const cmp = $('compare-method');
  cmp.innerHTML = '<option value="">off</option>' +
    METHODS.map((m) => `<option value="${m}">${m}</option>`).join('');
  cmp.addEventListener('change', () => sendConfig({ compare: cmp.value || null }));
  // The side-by-side frame is polled; it is rendered by the server from the same detections.
  setInterval(() => {
    if (!$('compare-box').hidden) $('compare').src = BASE + '/compare.jpg?t=' + Date.now();
  }, 400);
  for (const k of ['an_scale', 'an_bound', 'threshold']) {
    $(k).addEventListener('change', () => sendConfig({ [k]: Number($(k).value) }));
  }
  makeChart();
  tick();
  setInterval(tick, 1000);
}

init();
