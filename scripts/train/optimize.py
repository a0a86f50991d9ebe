#!/usr/bin/python3
"""Optimization-based style transfer with the training loss (no network): a cheap way to judge a
style image, its scale and the loss weights before spending hours training a network.

    /usr/bin/python3 scripts/train/optimize.py --photo garden --styles elephants autumn \
        --steps 150 --out /tmp/opt.png [--style-size 384] [--content-weight 1] [--tv-weight 1]
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from images import cache_dir, load_image, to_pil  # noqa: E402
from perceptual import PerceptualLoss  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402


def find_photo(name, data):
    for split in ("eval", "train"):
        p = os.path.join(data, "content", split, f"{name}.jpg")
        if os.path.exists(p):
            return p
    return name


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photo", default="garden")
    ap.add_argument("--styles", nargs="+", default=["elephants"])
    ap.add_argument("--size", type=int, default=256, help="short side of the photo")
    ap.add_argument("--style-size", type=int, nargs="+", default=[384])
    ap.add_argument("--content-weight", type=float, nargs="+", default=[1.0])
    ap.add_argument("--style-weight", type=float, default=1.0)
    ap.add_argument("--tv-weight", type=float, default=1.0)
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--lr", type=float, default=0.02)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="/tmp/instyle-optimize.png")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    data = os.path.join(cache_dir(), "data")
    x = load_image(find_photo(a.photo, data), a.size, multiple=8)
    tiles = []
    for style in a.styles:
        for ss in a.style_size:
            s = load_image(os.path.join(data, "styles", f"{style}.png"), ss)
            loss = PerceptualLoss(s)
            loss.calibrate([x])
            x_feats = loss.content_features(x)
            for cw in a.content_weight:
                y = x.clone().requires_grad_(True)
                opt = torch.optim.Adam([y], lr=a.lr)
                t0 = time.time()
                for i in range(a.steps):
                    t = loss(y, x_feats=x_feats)
                    total = cw * t["content"] + a.style_weight * t["style"] + a.tv_weight * t["tv"]
                    opt.zero_grad()
                    total.backward()
                    opt.step()
                    with torch.no_grad():
                        y.clamp_(0, 1)
                label = (f"{style} s{ss} cw{cw}: style {t['style'].item():.2f} (photo 5.00) "
                         f"content {t['content'].item():.2f}")
                print(label, f"{(time.time() - t0) / a.steps:.3f} s/step", flush=True)
                tiles.append((to_pil(y.detach()), label, to_pil(s)))
    w, h = tiles[0][0].size
    sheet = Image.new("RGB", (2 * w, len(tiles) * (h + 14)), "white")
    d = ImageDraw.Draw(sheet)
    for i, (im, label, st) in enumerate(tiles):
        sheet.paste(im, (0, i * (h + 14)))
        st.thumbnail((w, h))
        sheet.paste(st, (w, i * (h + 14)))
        d.text((2, i * (h + 14) + h), label, fill="black")
    sheet.save(a.out)
    print(a.out)


if __name__ == "__main__":
    main()
