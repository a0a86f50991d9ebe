#!/usr/bin/python3
"""Judges trained style networks on the held-out photos: a contact sheet (photos x styles) and,
per style, the style loss of the output and of the input photo (same units: each layer's loss
is 1 for an average training photo) and the content loss of the output against the photo
(relative squared error of the content features). Each run is judged by its own loss (the
loss network and layers recorded in its checkpoint), so compare losses only between runs with
the same loss network; compare pictures between any.

    /usr/bin/python3 scripts/train/eval.py --runs elephants autumn sequins-light \
        --out docs/contact-sheet.png --table docs/contact-sheet.md
A run is a folder name under <cache>/train (its weights.pt or newest ckpt-*.pt is used).
"""
import argparse
import glob
import json
import os
import sys
import time

import torch
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from images import cache_dir, load_image, to_pil  # noqa: E402
from perceptual import PerceptualLoss  # noqa: E402
from resumable import checkpoints  # noqa: E402
from train import saved_settings  # noqa: E402
from transformer_net import TransformerNet  # noqa: E402


def load_run(cache, run):
    folder = os.path.join(cache, "train", run)
    found = checkpoints(folder)
    path = found[-1] if found else os.path.join(folder, "weights.pt")
    state = torch.load(path)
    state["args"] = saved_settings(state["args"])
    net = TransformerNet.build(state["args"]["arch"]).eval()
    net.load_state_dict(state["model"])
    return net, state


def square(im, side):
    w, h = im.size
    s = min(w, h)
    return im.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)).resize((side, side), Image.LANCZOS)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", nargs="+", required=True)
    ap.add_argument("--size", type=int, default=384, help="short side the photos are stylized at")
    ap.add_argument("--tile", type=int, default=256, help="contact sheet tile size")
    ap.add_argument("--out", default="docs/contact-sheet.png")
    ap.add_argument("--table", help="also write the markdown table here")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--cache")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    cache = a.cache or cache_dir()
    data = os.path.join(cache, "data")
    photos = sorted(glob.glob(os.path.join(data, "content", "eval", "*.jpg")))
    assert photos, "no held-out photos (run prepare_data.py)"
    xs = [load_image(p, a.size, multiple=4) for p in photos]
    names = [os.path.splitext(os.path.basename(p))[0] for p in photos]

    T = a.tile
    label_h = 16
    sheet = Image.new("RGB", ((len(a.runs) + 1) * T, (len(photos) + 1) * (T + label_h)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (x, n) in enumerate(zip(xs, names)):
        sheet.paste(square(to_pil(x), T), (0, (i + 1) * (T + label_h)))
        draw.text((2, (i + 1) * (T + label_h) + T + 2), n, fill="black")
    draw.text((2, T // 2), "held-out photo \\ style", fill="black")

    rows, details = [], {}
    for j, run in enumerate(a.runs):
        net, state = load_run(cache, run)
        args = state["args"]
        style_path = os.path.join(data, "styles", f"{args['style']}.png")
        styles = [load_image(style_path, s) for s in args["style_size"]]
        style_img = styles[0]
        loss = PerceptualLoss(styles, args["loss"], cache)
        loss.style_norm.copy_(state["style_norm"])
        loss.content_norm.copy_(state["content_norm"])
        col = (j + 1) * T
        sheet.paste(square(to_pil(style_img), T), (col, 0))
        draw.text((col + 2, T + 2), f"{run} ({args['arch']}, {state['step']} steps)", fill="black")
        per = []
        seconds = 0.0
        for i, (x, n) in enumerate(zip(xs, names)):
            with torch.no_grad():
                t0 = time.time()
                y = net(x * 255).clamp(0, 255) / 255  # as the runner does: 0..255, clipped
                seconds += time.time() - t0
                ty = loss(y, x)
                tx = loss(x)
            per.append({"photo": n, "style_out": ty["style"].item(), "style_in": tx["style"].item(),
                        "content": ty["content"].item(),
                        "layers_out": [ty[f"style_{l}"].item() for l in loss.style_layers],
                        "layers_in": [tx[f"style_{l}"].item() for l in loss.style_layers]})
            sheet.paste(square(to_pil(y), T), (col, (i + 1) * (T + label_h)))
        mean = {k: sum(p[k] for p in per) / len(per) for k in ("style_out", "style_in", "content")}
        rows.append((run, args["style"], args["arch"], args["loss"], state["step"], state["seconds"] / 3600, mean,
                     seconds / len(per)))
        details[run] = {"args": args, "step": state["step"], "train_hours": state["seconds"] / 3600,
                        "photos": per}
        print(f"{run}: style loss out {mean['style_out']:.3f} vs photo {mean['style_in']:.3f}, "
              f"content {mean['content']:.3f}", flush=True)

    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    sheet.save(a.out, optimize=True)
    lines = [f"Held-out photos ({', '.join(names)}) at short side {a.size}; means over the photos.",
             "Style loss: the run's own loss networks and layers, each layer scaled to 1 for an average "
             "training photo (weighted sum).",
             "", "| run | style | network | loss | steps | training h | style loss: output | style loss: photo | "
             "content loss | PyTorch s/photo |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for run, style, arch, spec, step, hours, m, sec in rows:
        lines.append(f"| {run} | {style} | {arch} | {'+'.join(spec['nets'])} | {step} | {hours:.2f} | "
                     f"{m['style_out']:.3f} | {m['style_in']:.3f} | {m['content']:.3f} | {sec:.2f} |")
    table = "\n".join(lines) + "\n"
    print(table)
    if a.table:
        with open(a.table, "w") as f:
            f.write(table)
        with open(os.path.splitext(a.table)[0] + ".json", "w") as f:
            json.dump(details, f, indent=1)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
