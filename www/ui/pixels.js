// Pixels from the engine onto canvases, and a canvas as a PNG download: the small wiring every page that shows
// images repeats (RGBA frames painted with putImageData, gray frames widened to RGBA, a view saved as PNG).

import { download } from './labpage.js';

/** Paints `w` × `ht` RGBA bytes (a `Uint8Array`, from byte `offset`, e.g. frame k of a stack) onto `canvas`,
 *  sizing it to the image. */
export function paintRgba(canvas, rgba, w, ht, offset = 0) {
  canvas.width = w;
  canvas.height = ht;
  const px = new Uint8ClampedArray(rgba.buffer, rgba.byteOffset + offset, w * ht * 4);
  canvas.getContext('2d').putImageData(new ImageData(px, w, ht), 0, 0);
}

/** One gray byte per pixel (`w` × `ht`) as opaque RGBA bytes. */
export function grayToRgba(bytes, w, ht) {
  const out = new Uint8Array(w * ht * 4);
  for (let i = 0; i < w * ht; i++) {
    out[4 * i] = out[4 * i + 1] = out[4 * i + 2] = bytes[i];
    out[4 * i + 3] = 255;
  }
  return out;
}

/** Downloads what `canvas` shows as the PNG file `name` (nothing when the canvas is empty). */
export function downloadCanvas(canvas, name) {
  canvas.toBlob((b) => {
    if (!b) return;
    const u = URL.createObjectURL(b);
    download(name, u);
    setTimeout(() => URL.revokeObjectURL(u), 5000);
  });
}
