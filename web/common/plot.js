// A small line and scatter plot on a <canvas>, enough for the lab's two figures: linear or
// log axes, a few series (line, dashed line, dots), highlighted markers, and a legend.
//
//   drawPlot(canvas, {
//     x: { label: 'mean input intensity' }, y: { label: 'output mean', min: -3, max: 3 },
//     series: [{ label: 'IN', colour: '#4f46e5', points: [[0, 0], [255, 0]] }],
//     markers: [{ x: 128, y: 0, colour: '#4f46e5' }],
//   });

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const INK = '#1f2430';
const MUTED = '#6b7280';
const GRID = '#e7e8ec';

function niceStep(span, target) {
  const raw = span / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

function linearTicks(min, max, target) {
  const step = niceStep(max - min || 1, target);
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return ticks;
}

function logTicks(min, max) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    const v = 10 ** e;
    if (v >= min * 0.999 && v <= max * 1.001) ticks.push(v);
  }
  return ticks;
}

function formatTick(v, log) {
  if (log) {
    const e = Math.round(Math.log10(v));
    return e >= 0 && e <= 3 ? String(10 ** e) : `1e${e}`;
  }
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000 || a < 0.01) return v.toExponential(0);
  return String(Number(v.toPrecision(3)));
}

function extent(values, log) {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) return log ? [0.01, 1] : [0, 1];
  if (log) return [min / 1.3, max * 1.3];
  const pad = (max - min) * 0.08 || Math.max(Math.abs(max) * 0.1, 1);
  return [min - pad, max + pad];
}

// CSS box sizes, kept up to date by a ResizeObserver: reading clientWidth while the page
// changes every frame would force a layout per draw.
const boxes = new WeakMap();
const observer = typeof ResizeObserver === 'function'
  ? new ResizeObserver((entries) => {
      for (const e of entries) {
        boxes.set(e.target, { width: e.contentRect.width, height: e.contentRect.height });
        e.target.dispatchEvent(new Event('plotresize'));
      }
    })
  : null;

function boxOf(canvas) {
  let box = boxes.get(canvas);
  if (!box) {
    box = { width: canvas.clientWidth, height: canvas.clientHeight };
    boxes.set(canvas, box);
    observer?.observe(canvas);
  }
  return box;
}

// Sizes the canvas backing store to its CSS box times devicePixelRatio; returns the context
// scaled to CSS pixels, with the box's width and height.
function prepare(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const { width, height } = boxOf(canvas);
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height };
}

export function drawPlot(canvas, spec) {
  const { ctx, width, height } = prepare(canvas);
  if (width === 0 || height === 0) return;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1]));
  let [x0, x1] = extent(xs, spec.x.log);
  let [y0, y1] = extent(ys, spec.y.log);
  if (spec.x.min !== undefined) x0 = spec.x.min;
  if (spec.x.max !== undefined) x1 = spec.x.max;
  if (spec.y.min !== undefined) y0 = Math.min(spec.y.min, y0);
  if (spec.y.max !== undefined) y1 = Math.max(spec.y.max, y1);

  // The legend gets its own band above the plot, so it never hides data.
  ctx.font = FONT;
  const legendItems = spec.series.filter((s) => s.label);
  const legendRows = [];
  {
    let row = [];
    let x = 52;
    for (const s of legendItems) {
      const w = 30 + ctx.measureText(s.label).width + 14;
      if (row.length && x + w > width - 8) {
        legendRows.push(row);
        row = [];
        x = 52;
      }
      row.push({ s, x });
      x += w;
    }
    if (row.length) legendRows.push(row);
  }
  const left = 52;
  const right = 12;
  const top = 10 + legendRows.length * 17;
  const bottom = 40;
  const pw = width - left - right;
  const ph = height - top - bottom;
  const tx = spec.x.log
    ? (v) => left + ((Math.log(v) - Math.log(x0)) / (Math.log(x1) - Math.log(x0))) * pw
    : (v) => left + ((v - x0) / (x1 - x0)) * pw;
  const ty = spec.y.log
    ? (v) => top + ph - ((Math.log(v) - Math.log(y0)) / (Math.log(y1) - Math.log(y0))) * ph
    : (v) => top + ph - ((v - y0) / (y1 - y0)) * ph;

  ctx.font = FONT;
  ctx.lineWidth = 1;
  // Grid and tick labels.
  ctx.fillStyle = MUTED;
  ctx.strokeStyle = GRID;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const v of spec.x.log ? logTicks(x0, x1) : linearTicks(x0, x1, Math.max(2, pw / 70))) {
    const px = Math.round(tx(v)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(px, top);
    ctx.lineTo(px, top + ph);
    ctx.stroke();
    ctx.fillText(formatTick(v, spec.x.log), px, top + ph + 5);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const v of spec.y.log ? logTicks(y0, y1) : linearTicks(y0, y1, Math.max(2, ph / 40))) {
    const py = Math.round(ty(v)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(left, py);
    ctx.lineTo(left + pw, py);
    ctx.stroke();
    ctx.fillText(formatTick(v, spec.y.log), left - 6, py);
  }
  ctx.strokeStyle = MUTED;
  ctx.strokeRect(left + 0.5, top + 0.5, pw, ph);
  // Axis labels.
  ctx.fillStyle = INK;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.fillText(spec.x.label, left + pw / 2, height - 2);
  ctx.save();
  ctx.translate(12, top + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(spec.y.label, 0, 0);
  ctx.restore();

  // Series, clipped to the plot area.
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, pw, ph);
  ctx.clip();
  for (const s of spec.series) {
    ctx.strokeStyle = s.colour;
    ctx.fillStyle = s.colour;
    ctx.lineWidth = s.width ?? 2;
    ctx.setLineDash(s.style === 'dashed' ? [6, 4] : []);
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) &&
      (!spec.x.log || x > 0) && (!spec.y.log || y > 0));
    if (s.style === 'dots') {
      for (const [x, y] of pts) {
        ctx.beginPath();
        ctx.arc(tx(x), ty(y), s.radius ?? 3.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    } else {
      ctx.beginPath();
      pts.forEach(([x, y], i) => (i ? ctx.lineTo(tx(x), ty(y)) : ctx.moveTo(tx(x), ty(y))));
      ctx.stroke();
    }
  }
  ctx.setLineDash([]);
  for (const m of spec.markers ?? []) {
    if (!Number.isFinite(m.x) || !Number.isFinite(m.y)) continue;
    ctx.beginPath();
    ctx.arc(tx(m.x), ty(m.y), m.radius ?? 6, 0, 2 * Math.PI);
    ctx.fillStyle = '#fff';
    ctx.fill();
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = m.colour;
    ctx.stroke();
  }
  ctx.restore();

  // Legend rows above the plot area.
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  legendRows.forEach((row, r) => {
    const ly = 8 + r * 17;
    for (const { s, x: lx } of row) {
      ctx.strokeStyle = s.colour;
      ctx.fillStyle = s.colour;
      ctx.lineWidth = 2;
      ctx.setLineDash(s.style === 'dashed' ? [5, 3] : []);
      if (s.style === 'dots') {
        ctx.beginPath();
        ctx.arc(lx + 9, ly, 3.5, 0, 2 * Math.PI);
        ctx.fill();
      } else {
        ctx.beginPath();
        ctx.moveTo(lx, ly);
        ctx.lineTo(lx + 18, ly);
        ctx.stroke();
      }
      ctx.setLineDash([]);
      ctx.fillStyle = INK;
      ctx.fillText(s.label, lx + 24, ly);
    }
  });
}
