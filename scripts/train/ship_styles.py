#!/usr/bin/python3
"""Copies trained style networks into the npm package: styles/<name>.onnx (exported from the
run's newest checkpoint; the full network's large kernels stored as int8 with a scale per output
channel, 1.8 MB instead of 3.4 MB, everything else as float16; onnx_tools.py) and js/styles.js,
the catalogue that
ist.styles() and ist.loadStyle(name) read (name, title, network, training, the artwork and its
licence). The first style given is the default of the CLI and the demo.

    /usr/bin/python3 scripts/train/ship_styles.py sequins=sequins-light elephants=elephants-light \\
        autumn=autumn-light
    /usr/bin/python3 scripts/train/ship_styles.py --add starry-live=starry-live   # keep the others
    /usr/bin/python3 scripts/train/ship_styles.py --default starry                # reorder only
    /usr/bin/python3 scripts/train/ship_styles.py --retire sequins autumn          # drop from the package
A spec is name=run (a folder under <cache>/train); the run's log gives steps and hours. With
--add, the catalogue's other entries stay as they are (their runs need not be on this machine)
and a name already there is replaced in place. --default NAME moves that style to the front
(with no specs: the catalogue as it is, reordered). --retire NAME... removes those styles: their
entries, their .onnx files, and thumbnails no style uses any more.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys

from PIL import Image, ImageStat

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from images import cache_dir  # noqa: E402
from perceptual import loss_spec  # noqa: E402
from sources import STYLES  # noqa: E402  (the artworks' credits, as DATA_SOURCES.md gives them)

TITLES = {  # by style image
    "sequins": "Sequins",
    "elephants": "Elephants",
    "autumn": "Autumn",
    "moss": "Moss",
    "brushes": "Brushes",
    "analog": "Analog",
    "starry": "Starry Night",
    "klimt": "Klimt",
    "carcassonne": "Carcassonne",
    "grimaltar": "Grim Altar",
    "wave": "Great Wave",
    "kandinsky": "Kandinsky",
    "cafe": "Café Terrace",
}
CATALOGUE = os.path.join(ROOT, "js", "styles.js")
THUMBNAIL_SIZE = 192  # long side, px: a picker's tile at 2x on a high-density screen


def write_thumbnail(entry, cache):
    """styles/<style image>.jpg: the artwork as trained on (the style image, cropped as sources.py
    says), small, for pickers (the studio's gallery; ist.styles()[i].artwork.thumbnail)."""
    style = next((k for k, v in STYLES.items() if v["path"] == entry["artwork"]["path"]), None)
    if style is None:
        sys.exit(f"{entry['name']}: its artwork {entry['artwork']['path']} is not in sources.py")
    img = Image.open(os.path.join(cache, "data", "styles", f"{style}.png")).convert("RGB")
    img.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.LANCZOS)
    name = f"{style}.jpg"  # one per artwork: starry and starry-live share theirs
    img.save(os.path.join(ROOT, "styles", name), quality=85, optimize=True)
    entry["artwork"]["thumbnail"] = name


def read_catalogue():
    """The entries of js/styles.js as written by this script (one JSON object per line)."""
    entries = []
    for line in open(CATALOGUE):
        m = re.match(r"  (\{.*), \"url\": \(\) => ", line)
        if m:
            entries.append(json.loads(m.group(1) + "}"))
    return entries


def run_facts(folder):
    """Training settings, steps and hours logged so far, from the run's log."""
    log = open(os.path.join(folder, "log.txt")).read()
    starts = [json.loads(m) for m in re.findall(r"start at step \d+: (\{.*\})", log)]
    steps = re.findall(r"^step (\d+) ([\d.]+)h", log, re.M)
    if not starts or not steps:
        sys.exit(f"{folder}: no training log")
    return starts[-1], int(steps[-1][0]), float(steps[-1][1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("specs", nargs="*", metavar="name=run")
    ap.add_argument("--cache", help="cache folder (default $INSTYLE_CACHE or ~/.cache/instyle)")
    ap.add_argument("--add", action="store_true", help="keep the catalogue's other entries")
    ap.add_argument("--default", metavar="NAME", help="this style first: the default of the CLI and the demo")
    ap.add_argument("--weights", choices=["fp16", "int8"],
                    help="how to store weights (default: int8 for full networks, fp16 for the small light and "
                         "live ones, where int8 would save 0.3 MB and they have less to spare)")
    ap.add_argument("--retire", nargs="+", metavar="NAME", default=[], help="remove these styles from the package")
    a = ap.parse_args()
    if not a.specs and not a.default and not a.retire:
        ap.error("give name=run specs, --default NAME, --retire NAME..., or a mix")
    cache = a.cache or cache_dir()
    os.makedirs(os.path.join(ROOT, "styles"), exist_ok=True)
    entries = []
    for spec in a.specs:
        name, _, run = spec.partition("=")
        run = run or name
        settings, steps, hours = run_facts(os.path.join(cache, "train", run))
        loss = settings.get("loss") or loss_spec("mnv2")  # runs from before the choice: MobileNetV2
        out = os.path.join(ROOT, "styles", f"{name}.onnx")
        weights = a.weights or ("int8" if settings["arch"] == "full" else "fp16")
        done = subprocess.run([sys.executable, os.path.join(HERE, "train.py"), "--style", settings["style"],
                               "--arch", settings["arch"], "--run", run, "--export", out, "--weights", weights,
                               "--cache", cache], check=True, capture_output=True, text=True).stdout
        print(done, end="")
        steps = int(re.search(r"\(step (\d+)\)", done).group(1))  # the checkpoint exported
        art = STYLES[settings["style"]]
        # The artwork's mean colour: npm test checks that each style moves a photo toward it.
        pixels = Image.open(os.path.join(cache, "data", "styles", settings["style"] + ".png")).convert("RGB")
        mean_rgb = [round(float(v), 1) for v in ImageStat.Stat(pixels).mean]
        entry = {
            "name": name,
            "title": TITLES.get(settings["style"], settings["style"].capitalize()),
            "file": f"{name}.onnx",
            "bytes": os.path.getsize(out),
            "network": settings["arch"],
            "weights": weights,
            "trainingSteps": steps,
            "trainingHours": round(hours, 2),
            "trainingSize": settings["size"],
            # The loss network it was trained against: for the random VGG, its seeds, width,
            # pooling and layers are the whole network (nothing pretrained).
            "loss": {"nets": loss["nets"], "width": loss.get("width"), "pool": loss.get("pool"),
                     "styleLayers": loss["style_layers"], "layerWeights": loss["layer_weights"],
                     "contentLayer": loss["content_layer"]},
            "artwork": {"about": art["about"], "author": art["author"], "licence": art["licence"],
                        "package": art["package"], "path": art["path"], "crop": art["crop"],
                        "meanRGB": mean_rgb},
        }
        if settings.get("palette_weight"):
            # Also against the artwork's colours as a distribution (perceptual.PaletteLoss).
            entry["loss"]["paletteWeight"] = settings["palette_weight"]
        started = settings.get("init_from") or settings.get("init")  # "init" for a day
        if started:
            # Fine-tuned from another style's network (train.py --init-from): its steps and hours
            # come on top of this entry's.
            entry["startedFrom"] = started
        if settings.get("stability_weight"):
            # Trained for video: outputs of a photo and of it moved and noisy were made to agree.
            entry["stability"] = {"weight": settings["stability_weight"], "noise": settings["stability_noise"],
                                  "shift": settings["stability_shift"]}
        entries.append(entry)
        print(f"{out}: {entry['bytes']} bytes, {steps} steps, {hours:.2f} h")

    if a.add or not a.specs:
        new = {e["name"]: e for e in entries}
        kept = [new.pop(e["name"], e) for e in read_catalogue()]
        entries = kept + list(new.values())
    for name in a.retire:
        if name not in [e["name"] for e in entries]:
            sys.exit(f"--retire {name}: no such style in the catalogue")
        os.remove(os.path.join(ROOT, "styles", f"{name}.onnx"))
        entries = [e for e in entries if e["name"] != name]
        print(f"retired {name}")
    if a.default:
        first = [e for e in entries if e["name"] == a.default]
        if not first:
            sys.exit(f"--default {a.default}: no such style in the catalogue")
        entries = first + [e for e in entries if e["name"] != a.default]
    for e in entries:
        write_thumbnail(e, cache)
    used = {e["artwork"]["thumbnail"] for e in entries}
    for path in glob.glob(os.path.join(ROOT, "styles", "*.jpg")):
        if os.path.basename(path) not in used:
            os.remove(path)
    # The catalogue as an ES module: each file's URL is written literally, so that bundlers
    # (Vite, webpack 5, esbuild) see new URL('...', import.meta.url) and ship the file.
    lines = ["// Generated by scripts/train/ship_styles.py: the styles this package ships (styles/*.onnx),",
             "// trained by the project (docs/training.md), and their artworks' thumbnails (styles/*.jpg).",
             "// The first is the default.",
             "export const STYLES = ["]
    for e in entries:
        meta = json.dumps(e, ensure_ascii=False)[:-1]
        lines.append(f"  {meta}, \"url\": () => new URL('../styles/{e['file']}', import.meta.url), "
                     f"\"thumbnailUrl\": () => new URL('../styles/{e['artwork']['thumbnail']}', import.meta.url) }},")
    lines.append("];")
    open(CATALOGUE, "w").write("\n".join(lines) + "\n")
    print("wrote js/styles.js")


if __name__ == "__main__":
    main()
