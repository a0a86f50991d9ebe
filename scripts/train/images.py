"""Image helpers for training: files <-> N,3,H,W float tensors in 0..1, and the random crops
that make a training batch from the few dozen photos prepare_data.py provides.

    x = load_image("a.jpg", short_side=384)          # 1,3,H,W in 0..1
    sampler = CropSampler(glob("train/*.jpg"), 256)  # sampler.batch(4) -> 4,3,256,256
"""
import os
import random

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def cache_dir():
    return os.environ.get("INSTYLE_CACHE", os.path.expanduser("~/.cache/instyle"))


def load_image(path, short_side=None, multiple=1):
    """Optionally resized so the short side is `short_side`, then cropped to a multiple."""
    im = Image.open(path).convert("RGB")
    if short_side:
        w, h = im.size
        s = short_side / min(w, h)
        im = im.resize((max(1, round(w * s)), max(1, round(h * s))), Image.LANCZOS)
    w, h = im.size
    im = im.crop((0, 0, w - w % multiple, h - h % multiple))
    return to_tensor(im)


def to_tensor(im):
    return torch.from_numpy(np.asarray(im, dtype=np.uint8).copy()).permute(2, 0, 1)[None].float() / 255


def to_pil(x):
    """1,3,H,W in 0..1 (clipped, as the runner clips) -> PIL image."""
    a = (x[0].clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(1, 2, 0).numpy()
    return Image.fromarray(a)


class CropSampler:
    """Random square crops of a random size (min_frac..1 of the short side), resized to `size`,
    randomly mirrored: the same photo at many scales, which a small photo set needs."""

    def __init__(self, paths, size=256, min_frac=0.5, seed=None):
        self.images = [load_image(p)[0] for p in sorted(paths)]
        assert self.images, "no training photos (run prepare_data.py)"
        self.size, self.min_frac = size, min_frac
        self.rng = random.Random(seed)

    def one(self):
        im = self.rng.choice(self.images)
        _, h, w = im.shape
        short = min(h, w)
        side = max(min(self.size, short), round(short * self.rng.uniform(self.min_frac, 1)))
        top, left = self.rng.randint(0, h - side), self.rng.randint(0, w - side)
        crop = im[:, top:top + side, left:left + side][None]
        if side != self.size:
            crop = F.interpolate(crop, size=(self.size, self.size), mode="bilinear",
                                 align_corners=False, antialias=side > self.size)
        if self.rng.random() < 0.5:
            crop = crop.flip(3)
        return crop.clamp(0, 1)

    def batch(self, n):
        return torch.cat([self.one() for _ in range(n)])
