"""Reference outputs of the PyPI package `imagecorruptions` 1.1.2 for tests/corruptions_match.rs.

Run (own venv, outside `make test`):
    python3 -m venv .venv-corr && .venv-corr/bin/pip install -r scripts/requirements-corruptions.txt
    .venv-corr/bin/python scripts/corruptions_reference.py tests/fixtures/corruptions
    .venv-corr/bin/python scripts/corruptions_reference.py --time     # the 15 x 5 grid's time, one run

Writes, for each case (a small crop or downscale of a photo shipped in www/data/photos/):
  <case>/input.png                          the clean input (RGB, or L for the grayscale case)
  <case>/<corruption>-<severity>.png        the package's output where ours can reproduce it exactly given the
                                            same random draws (written for the deterministic corruptions and for
                                            motion blur / frost, whose draws are replayed and recorded); for the
                                            224x224 cases only the central 64x64 window is stored to keep the
                                            fixtures small
  stats.json                                per case, corruption and severity: mean, std and a 32-bin histogram
                                            of the full uint8 output, plus the replayed draws (angle; frost index
                                            and crop corner)

Two shims make the package run on current numpy / scikit-image: np.float_ is gone in numpy 2, and
skimage.filters.gaussian's `multichannel=` became `channel_axis=`.
"""
import json
import os
import sys

import numpy as np

np.float_ = np.float64  # shim 1

import cv2
import skimage.data
import skimage.filters
from PIL import Image

import imagecorruptions
import imagecorruptions.corruptions as icc

_gaussian = skimage.filters.gaussian


def _gaussian_shim(image, *args, multichannel=None, **kw):  # shim 2
    if multichannel:
        kw["channel_axis"] = -1
    return _gaussian(image, *args, **kw)


icc.gaussian = _gaussian_shim

NAMES = imagecorruptions.get_corruption_names("all")
SEED = 1234


def crop(img, y, x, s):
    return img[y:y + s, x:x + s]


def down(img, s):
    return np.array(Image.fromarray(img).resize((s, s), Image.BOX))


def cases():
    chelsea, coffee, astronaut = skimage.data.chelsea(), skimage.data.coffee(), skimage.data.astronaut()
    gray = np.array(Image.fromarray(down(astronaut, 64)).convert("L"))
    return {
        "chelsea224": (crop(chelsea, 40, 110, 224), True),
        "coffee224": (crop(coffee, 100, 200, 224), True),
        "astronaut64": (down(astronaut, 64), False),
        "chelsea32": (down(crop(chelsea, 0, 75, 300), 32), False),
        "gray64": (gray, False),
    }


def frost_draws(shape, seed):
    """Replays frost's random draws (picture index, crop corner) exactly as the package makes them."""
    np.random.seed(seed)
    idx = np.random.randint(5)
    path = os.path.join(os.path.dirname(icc.__file__), "frost",
                        ["frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg", "frost6.jpg"][idx])
    fh, fw = cv2.imread(path).shape[:2]
    h, w = shape[:2]
    if fh >= h and fw >= w:
        s = 1
    elif fh < h and fw >= w:
        s = h / fh
    elif fh >= h and fw < w:
        s = w / fw
    else:
        s = max(h / fh, w / fw)
    s *= 1.1
    rh, rw = int(np.ceil(fh * s)), int(np.ceil(fw * s))
    x0 = np.random.randint(0, rh - h)
    y0 = np.random.randint(0, rw - w)
    return {"frost_index": int(idx), "frost_top": int(x0), "frost_left": int(y0)}


EXACT = {"defocus_blur", "gaussian_blur", "motion_blur", "zoom_blur", "frost", "brightness", "contrast",
         "pixelate", "jpeg_compression", "saturate"}


def main(out):
    for case, (img, window) in cases().items():
        d = os.path.join(out, case)
        os.makedirs(d, exist_ok=True)
        Image.fromarray(img).save(os.path.join(d, "input.png"))
        stats = {}
        for name in NAMES:
            for sev in range(1, 6):
                seed = SEED + 100 * NAMES.index(name) + sev
                rec = {}
                if name == "motion_blur":
                    np.random.seed(seed)
                    rec["angle"] = float(np.random.uniform(-45, 45))
                if name == "frost":
                    rec.update(frost_draws(img.shape, seed))
                np.random.seed(seed)
                o = imagecorruptions.corrupt(img, corruption_name=name, severity=sev)
                rec["mean"] = float(o.mean())
                rec["std"] = float(o.std())
                rec["hist32"] = np.histogram(o, bins=32, range=(0, 256))[0].tolist()
                stats[f"{name}-{sev}"] = rec
                if name in EXACT:
                    if window:
                        c0 = (o.shape[0] - 64) // 2
                        o = o[c0:c0 + 64, c0:c0 + 64]
                    Image.fromarray(o).save(os.path.join(d, f"{name}-{sev}.png"), optimize=True)
                print(case, name, sev, flush=True)
        with open(os.path.join(d, "stats.json"), "w") as f:
            json.dump({"window": 64 if window else None, "shape": list(img.shape), "results": stats}, f, indent=0)




def time_grid():
    """Seconds for the 15 x 5 grid (ImageNet-C corruptions) on the 224x224 chelsea crop, one run."""
    import time
    img = cases()["chelsea224"][0]
    np.random.seed(SEED)
    t0 = time.perf_counter()
    per = {}
    for name in NAMES[:15]:
        t1 = time.perf_counter()
        for sev in range(1, 6):
            imagecorruptions.corrupt(img, corruption_name=name, severity=sev)
        per[name] = time.perf_counter() - t1
    total = time.perf_counter() - t0
    print(json.dumps({"total_s": total, "per_corruption_s": per}, indent=1))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--time"]:
        time_grid()
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/corruptions")
