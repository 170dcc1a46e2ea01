// la3d dashboard: polls the JSON API, draws the score chart with uPlot, sends control changes.
'use strict';

const METHODS = ['mask', 'edge', 'blur', 'pixelization', 'adaptive_blur', 'adaptive_full_blur',
  'adaptive_max_blur', 'adaptive_pixelization', 'adaptive_max_pixelization'];
const $ = (id) => document.getElementById(id);

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
  $('source').textContent = `${s.source} · ${s.fps.toFixed(1)} fps · ${s.people_hidden} hidden`;
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

async function sendConfig(change) {
  const r = await fetch('/api/config', {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(change),
  });
  const body = await r.json();
  $('config-error').hidden = r.ok;
  if (!r.ok) $('config-error').textContent = body.error;
}

async function tick() {
  try {
    const [s, d, e] = await Promise.all([getJson('/api/status'), getJson('/api/scores'), getJson('/api/events')]);
    showStatus(s);
    showScores(d);
    showEvents(e);
  } catch (err) {
    $('source').textContent = 'disconnected: ' + err.message;
  }
}

function init() {
  const sel = $('method');
  sel.innerHTML = METHODS.map((m) => `<option value="${m}">${m}</option>`).join('');
  sel.addEventListener('change', () => sendConfig({ method: sel.value }));
  const cmp = $('compare-method');
  cmp.innerHTML = '<option value="">off</option>' +
    METHODS.map((m) => `<option value="${m}">${m}</option>`).join('');
  cmp.addEventListener('change', () => sendConfig({ compare: cmp.value || null }));
  // The side-by-side frame is polled; it is rendered by the server from the same detections.
  setInterval(() => {
    if (!$('compare-box').hidden) $('compare').src = '/compare.jpg?t=' + Date.now();
  }, 400);
  for (const k of ['an_scale', 'an_bound', 'threshold']) {
    $(k).addEventListener('change', () => sendConfig({ [k]: Number($(k).value) }));
  }
  makeChart();
  tick();
  setInterval(tick, 1000);
}

init();
