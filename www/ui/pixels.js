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

/**
 * A picture file fitted into a `side` × `side` canvas (its longer side to `side` px, centred, on the colour of
 * the picture's top-left corner, taken as its background): `{ rgba (ImageData's bytes), width, height }` with the
 * picture's own size. Throws a message naming the file when the browser cannot read it as a picture.
 */
export async function fitPicture(file, side) {
  let bmp;
  try {
    bmp = await createImageBitmap(file);
  } catch {
    throw new Error(`“${file.name}” could not be read as a picture (PNG, JPEG, GIF or WebP); it may be corrupt or another kind of file`);
  }
  const cv = document.createElement('canvas');
  cv.width = side;
  cv.height = side;
  const ctx = cv.getContext('2d');
  const s = side / Math.max(bmp.width, bmp.height);
  const w = Math.max(1, Math.round(bmp.width * s));
  const ht = Math.max(1, Math.round(bmp.height * s));
  ctx.drawImage(bmp, 0, 0, 1, 1, 0, 0, side, side);
  ctx.drawImage(bmp, (side - w) / 2, (side - ht) / 2, w, ht);
  const out = { rgba: ctx.getImageData(0, 0, side, side).data, width: bmp.width, height: bmp.height };
  bmp.close?.();
  return out;
}
