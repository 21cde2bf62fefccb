// Brush a mask over an image: pointer events (mouse, pen, touch), brush size, eraser, clear, invert, undo/redo,
// keyboard ([ and ] resize the brush, Ctrl+Z undo, Ctrl+Shift+Z or Ctrl+Y redo). The mask is kept at the canvas's
// display resolution and exported at the image's own resolution (white = re-refine) as a PNG data URL.
// Written here: no served package paints masks.

const editors = new WeakMap();
const overlayColor = 'rgba(255, 64, 129, 1)';

export function attach(canvas, imageWidth, imageHeight, dotnet, brush = 6, maxBrush = 32) {
  detach(canvas);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  const state = { canvas, context, imageWidth, imageHeight, dotnet, brush, maxBrush, eraser: false, undo: [], redo: [], drawing: false, last: null };

  const point = event => {
    const box = canvas.getBoundingClientRect();
    return { x: (event.clientX - box.left) * canvas.width / box.width, y: (event.clientY - box.top) * canvas.height / box.height };
  };
  // The brush size is in image pixels; the canvas is larger than the image.
  const radius = () => state.brush * canvas.width / imageWidth / 2;
  const stroke = (from, to) => {
    context.globalCompositeOperation = state.eraser ? 'destination-out' : 'source-over';
    context.strokeStyle = context.fillStyle = overlayColor;
    context.lineCap = 'round';
    context.lineWidth = 2 * radius();
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x, to.y);
    context.stroke();
    context.beginPath();
    context.arc(to.x, to.y, radius(), 0, 2 * Math.PI);
    context.fill();
  };

  state.onDown = event => {
    if (event.button !== undefined && event.button > 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    remember(state);
    state.drawing = true;
    state.last = point(event);
    stroke(state.last, state.last);
  };
  state.onMove = event => {
    if (!state.drawing) return;
    event.preventDefault();
    const next = point(event);
    stroke(state.last, next);
    state.last = next;
  };
  state.onUp = event => {
    if (!state.drawing) return;
    state.drawing = false;
    if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
    changed(state);
  };
  state.onKey = event => {
    if (event.target instanceof HTMLTextAreaElement || event.target instanceof HTMLInputElement) return;
    if (event.key === '[') setBrush(canvas, Math.max(1, state.brush - 1), true);
    else if (event.key === ']') setBrush(canvas, Math.min(state.maxBrush, state.brush + 1), true);
    else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'z' && !event.shiftKey) { undo(canvas); event.preventDefault(); }
    else if ((event.ctrlKey || event.metaKey) && (event.key.toLowerCase() === 'y' || (event.key.toLowerCase() === 'z' && event.shiftKey))) { redo(canvas); event.preventDefault(); }
  };
  canvas.addEventListener('pointerdown', state.onDown);
  canvas.addEventListener('pointermove', state.onMove);
  canvas.addEventListener('pointerup', state.onUp);
  canvas.addEventListener('pointercancel', state.onUp);
  document.addEventListener('keydown', state.onKey);
  editors.set(canvas, state);
  // Painting works from here on: a stroke before this moment would be lost (tests and scripts wait for it).
  canvas.dataset.ready = 'true';
  changed(state);
}

export function detach(canvas) {
  const state = editors.get(canvas);
  if (!state) return;
  delete canvas.dataset.ready;
  canvas.removeEventListener('pointerdown', state.onDown);
  canvas.removeEventListener('pointermove', state.onMove);
  canvas.removeEventListener('pointerup', state.onUp);
  canvas.removeEventListener('pointercancel', state.onUp);
  document.removeEventListener('keydown', state.onKey);
  editors.delete(canvas);
}

function remember(state) {
  state.undo.push(state.context.getImageData(0, 0, state.canvas.width, state.canvas.height));
  if (state.undo.length > 50) state.undo.shift();
  state.redo = [];
}

function changed(state) {
  state.dotnet?.invokeMethodAsync('MaskChanged', state.brush, state.eraser, state.undo.length > 0, state.redo.length > 0, coverage(state) > 0);
}

function coverage(state) {
  const pixels = state.context.getImageData(0, 0, state.canvas.width, state.canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] >= 128) painted++;
  return painted;
}

export function setBrush(canvas, size, notify = true) { const s = editors.get(canvas); if (!s) return; s.brush = size; if (notify) changed(s); }
export function setEraser(canvas, on) { const s = editors.get(canvas); if (!s) return; s.eraser = on; changed(s); }

export function undo(canvas) {
  const s = editors.get(canvas);
  if (!s || s.undo.length === 0) return;
  s.redo.push(s.context.getImageData(0, 0, canvas.width, canvas.height));
  s.context.putImageData(s.undo.pop(), 0, 0);
  changed(s);
}

export function redo(canvas) {
  const s = editors.get(canvas);
  if (!s || s.redo.length === 0) return;
  s.undo.push(s.context.getImageData(0, 0, canvas.width, canvas.height));
  s.context.putImageData(s.redo.pop(), 0, 0);
  changed(s);
}

export function clear(canvas) {
  const s = editors.get(canvas);
  if (!s) return;
  remember(s);
  s.context.clearRect(0, 0, canvas.width, canvas.height);
  changed(s);
}

export function invert(canvas) {
  const s = editors.get(canvas);
  if (!s) return;
  remember(s);
  const image = s.context.getImageData(0, 0, canvas.width, canvas.height);
  const p = image.data;
  for (let i = 0; i < p.length; i += 4) {
    const painted = p[i + 3] >= 128;
    p[i] = 255; p[i + 1] = 64; p[i + 2] = 129; p[i + 3] = painted ? 0 : 255;
  }
  s.context.putImageData(image, 0, 0);
  changed(s);
}

// The mask at the image's resolution: an image pixel is white when at least half of it is painted.
export function exportMask(canvas) {
  const s = editors.get(canvas);
  if (!s) return null;
  const small = document.createElement('canvas');
  small.width = s.imageWidth;
  small.height = s.imageHeight;
  const context = small.getContext('2d', { willReadFrequently: true });
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(canvas, 0, 0, small.width, small.height);
  const image = context.getImageData(0, 0, small.width, small.height);
  const p = image.data;
  for (let i = 0; i < p.length; i += 4) {
    const value = p[i + 3] >= 128 ? 255 : 0;
    p[i] = p[i + 1] = p[i + 2] = value;
    p[i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
  return small.toDataURL('image/png');
}
