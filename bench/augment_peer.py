#!/usr/bin/python3
"""Peers for `streamfit bench augment`: the same train augmentation on the same images, one thread.

Pipeline: JPEG bytes -> decode -> rotation +-30 deg, shift +-10 %, shear +-10 deg, zoom 0.9-1.1,
horizontal flip, nearest fill -> 224x224 -> float32 in [-1, 1]. Bytes are read into memory first.
Prints one line per peer: PEER <name> <img/s, best of passes>.
Needs Debian python3-opencv, python3-pil, python3-torchvision (apt-get install ...).
"""
import argparse, io, math, os, random, sys, time

import cv2
import numpy as np
from PIL import Image


def files(data, n):
    out = []
    for root, _, names in os.walk(os.path.join(data, "train")):
        for f in names:
            out.append(os.path.join(root, f))
    return sorted(out)[:n]


def params(rng):
    return dict(rot=rng.uniform(-30, 30), tx=rng.uniform(-0.1, 0.1), ty=rng.uniform(-0.1, 0.1),
                shear=rng.uniform(-10, 10), zx=rng.uniform(0.9, 1.1), zy=rng.uniform(0.9, 1.1),
                flip=rng.random() < 0.5)


def inverse_matrix(p, src_w, src_h, out=224):
    """Output pixel -> source point: Keras order (rotation, shift, shear, zoom about the centre, flip), then resize."""
    c = (out - 1) / 2.0

    def T(x, y):
        return np.array([[1, 0, x], [0, 1, y], [0, 0, 1]], np.float64)

    th, sh = math.radians(p["rot"]), math.radians(p["shear"])
    R = np.array([[math.cos(th), math.sin(th), 0], [-math.sin(th), math.cos(th), 0], [0, 0, 1]])
    S = np.array([[math.cos(sh), 0, 0], [-math.sin(sh), 1, 0], [0, 0, 1]])
    Z = np.diag([p["zx"], p["zy"], 1.0])
    F = np.diag([-1.0 if p["flip"] else 1.0, 1.0, 1.0])
    sx, sy = src_w / out, src_h / out
    Rs = np.array([[sx, 0, 0.5 * (sx - 1)], [0, sy, 0.5 * (sy - 1)], [0, 0, 1]])
    m = Rs @ T(c, c) @ R @ T(p["tx"] * out, p["ty"] * out) @ S @ Z @ F @ T(-c, -c)
    return m[:2]


def to_float(rgb):
    return rgb.astype(np.float32) * (1 / 127.5) - 1.0


def opencv_pipeline(blobs, rng):
    for b in blobs:
        bgr = cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR)
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        small = cv2.resize(rgb, (224, 224), interpolation=cv2.INTER_AREA)
        m = inverse_matrix(params(rng), 224, 224)
        out = cv2.warpAffine(small, m, (224, 224), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                             borderMode=cv2.BORDER_REPLICATE)
        to_float(out)


def pil_warp_pipeline(blobs, rng):
    for b in blobs:
        im = Image.open(io.BytesIO(b))
        im.draft("RGB", (224, 224))  # DCT-scaled decode, as far as it still covers 224
        rgb = np.asarray(im.convert("RGB"))
        m = inverse_matrix(params(rng), rgb.shape[1], rgb.shape[0])
        out = cv2.warpAffine(rgb, m, (224, 224), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                             borderMode=cv2.BORDER_REPLICATE)
        to_float(out)


def torchvision_pipeline(blobs, rng):
    import torch
    from torchvision import transforms as T
    torch.set_num_threads(1)
    tf = T.Compose([T.Resize((224, 224)), T.RandomAffine(30, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=10),
                    T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)])
    for b in blobs:
        tf(Image.open(io.BytesIO(b)).convert("RGB"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--peers", default="opencv,pil+warp,torchvision")
    a = ap.parse_args()
    cv2.setNumThreads(1)
    blobs = [open(f, "rb").read() for f in files(a.data, a.n)]
    todo = {"opencv": opencv_pipeline, "pil+warp": pil_warp_pipeline, "torchvision": torchvision_pipeline}
    for name in a.peers.split(","):
        best = 0.0
        for p in range(a.passes):
            rng = random.Random(p)
            t0 = time.perf_counter()
            todo[name](blobs, rng)
            best = max(best, len(blobs) / (time.perf_counter() - t0))
        print(f"PEER {name} {best:.1f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
