#!/usr/bin/python3
"""Fetches the training photos and style images (Debian packages only, see sources.py) and
prepares them in the cache, outside the repository:

    <cache>/data/debs/*.deb                 apt-get download (not installed)
    <cache>/data/root/...                   dpkg -x of every package
    <cache>/data/content/{train,eval}/*.jpg photos, short side <= --content-size
    <cache>/data/styles/<style>.png          style images, cropped, short side <= --style-max
    <cache>/data/manifest.json               package versions and every file's source
    <cache>/data/artworks/*.jpg              --artworks: style images for the arbitrary-style
                                             decoder (artworks.tsv, docs/artworks-survey.md),
                                             short side <= 384, with artworks.json

    /usr/bin/python3 scripts/train/prepare_data.py            # idempotent; re-run any time
    /usr/bin/python3 scripts/train/prepare_data.py --artworks # + the artworks of the packages above
    /usr/bin/python3 scripts/train/prepare_data.py --markdown # the DATA_SOURCES.md section
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys

from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qt_resources import assemble, image, read_rcc  # noqa: E402
from sources import CONTENT, PACKAGES, STYLES  # noqa: E402


def cache_dir():
    return os.environ.get("INSTYLE_CACHE", os.path.expanduser("~/.cache/instyle"))


def fetch(data, packages=PACKAGES):
    debs = os.path.join(data, "debs")
    root = os.path.join(data, "root")
    os.makedirs(debs, exist_ok=True)
    versions = {}
    for pkg in packages:
        found = glob.glob(os.path.join(debs, f"{pkg}_*.deb"))
        if not found:
            r = subprocess.run(["apt-get", "download", pkg], cwd=debs)
            if r.returncode != 0:
                sys.exit(f"apt-get download {pkg} failed (run `apt-get update` first?)")
            found = glob.glob(os.path.join(debs, f"{pkg}_*.deb"))
        deb = sorted(found)[-1]
        versions[pkg] = subprocess.run(["dpkg-deb", "-f", deb, "Version"], check=True,
                                       capture_output=True, text=True).stdout.strip()
        stamp = os.path.join(root, ".extracted", os.path.basename(deb))
        if not os.path.exists(stamp):
            subprocess.run(["dpkg", "-x", deb, root], check=True)
            os.makedirs(os.path.dirname(stamp), exist_ok=True)
            open(stamp, "w").close()
        lic = os.path.join(data, "licences", f"{pkg}.copyright")
        os.makedirs(os.path.dirname(lic), exist_ok=True)
        shutil.copyfile(os.path.join(root, "usr/share/doc", pkg, "copyright"), lic)
    return root, versions


def load_style(root, path, rcc_cache):
    """A style image: a file of the package, or "<file.rcc>:<member>" inside a Qt resource
    file (a board .qml member is a GCompris puzzle painting, assembled from its pieces)."""
    if ".rcc:" not in path:
        return Image.open(os.path.join(root, path))
    rcc, member = path.split(":", 1)
    if rcc not in rcc_cache:
        rcc_cache[rcc] = read_rcc(os.path.join(root, rcc))
    files = rcc_cache[rcc]
    return assemble(files, member) if member.endswith(".qml") else image(files, member)


def shrink(im, short_max):
    w, h = im.size
    s = short_max / min(w, h)
    return im.resize((round(w * s), round(h * s)), Image.LANCZOS) if s < 1 else im


def up_to_date(data, a):
    path = os.path.join(data, "manifest.json")
    if not os.path.exists(path):
        return False
    m = json.load(open(path))
    want_content = {c[0]: (c[1], c[2], c[5]) for c in CONTENT}
    have_content = {k: (v["package"], v["path"], v["split"]) for k, v in m["content"].items()}
    want_styles = {k: (v["path"], list(v["crop"]) if v["crop"] else None) for k, v in STYLES.items()}
    have_styles = {k: (v["path"], list(v["crop"]) if v["crop"] else None) for k, v in m["styles"].items()}
    files = [os.path.join(data, "content", c[5], f"{c[0]}.jpg") for c in CONTENT]
    files += [os.path.join(data, "styles", f"{s}.png") for s in STYLES]
    return (m.get("sizes") == [a.content_size, a.style_max] and want_content == have_content
            and want_styles == have_styles and all(os.path.exists(f) for f in files))


def prepare(a):
    data = os.path.join(a.cache or cache_dir(), "data")
    if not a.force and up_to_date(data, a):
        print(f"{data}: up to date (--force to rebuild)")
        return
    root, versions = fetch(data)
    manifest = {"packages": versions, "sizes": [a.content_size, a.style_max], "content": {}, "styles": {}}
    for split in ("train", "eval"):
        shutil.rmtree(os.path.join(data, "content", split), ignore_errors=True)
        os.makedirs(os.path.join(data, "content", split))
    for name, pkg, path, author, licence, split in CONTENT:
        im = shrink(Image.open(os.path.join(root, path)).convert("RGB"), a.content_size)
        out = os.path.join(data, "content", split, f"{name}.jpg")
        im.save(out, quality=95)
        manifest["content"][name] = dict(package=pkg, path=path, author=author, licence=licence,
                                         split=split, size=im.size)
    os.makedirs(os.path.join(data, "styles"), exist_ok=True)
    rcc_cache = {}
    for name, s in STYLES.items():
        im = load_style(root, s["path"], rcc_cache)
        if im.mode in ("RGBA", "LA", "P"):
            # Drawings with transparency (tuxpaint's starters) are meant to be seen on white.
            im = im.convert("RGBA")
            im = Image.alpha_composite(Image.new("RGBA", im.size, "white"), im)
        im = im.convert("RGB")
        if s["crop"]:
            w, h = im.size
            l, t, r, b = s["crop"]
            im = im.crop((round(l * w), round(t * h), round(r * w), round(b * h)))
        im = shrink(im, a.style_max)
        im.save(os.path.join(data, "styles", f"{name}.png"))
        manifest["styles"][name] = dict(s, size=im.size)
    with open(os.path.join(data, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
    n_eval = sum(1 for c in CONTENT if c[5] == "eval")
    print(f"{data}: {len(CONTENT) - n_eval} training photos, {n_eval} held out, {len(STYLES)} styles")


ARTWORKS_TSV = os.path.join(os.path.dirname(os.path.abspath(__file__)), "artworks.tsv")


def artwork_rows(packages):
    """artworks.tsv's rows (package, path, licence) from `packages`, minus the style images of
    sources.py (those are in data/styles already, and some are held out of the arbitrary-style
    decoder's training to judge it: adain.py --hold-out) and minus Wesnoth's character portraits
    (240 cut-outs on white, which would make most training crops a white field and one figure)."""
    styles = {(s["package"], s["path"]) for s in STYLES.values()}
    rows = []
    with open(ARTWORKS_TSV) as f:
        for line in f:
            pkg, path, licence = line.rstrip("\n").split("\t")[:3]
            if pkg in packages and (pkg, path) not in styles and "/portraits/" not in path:
                rows.append((pkg, path, licence))
    return rows


def prepare_artworks(a):
    """--artworks: the survey's artworks (docs/artworks-survey.md) from the packages that
    sources.py already fetches (no other download), as <cache>/data/artworks/<n>.jpg, short side
    at most 384, transparent cut-outs on white; artworks.json records each file's source."""
    data = os.path.join(a.cache or cache_dir(), "data")
    rows = artwork_rows(PACKAGES)
    root, versions = fetch(data)
    out = os.path.join(data, "artworks")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    rcc_cache, manifest = {}, {}
    for i, (pkg, path, licence) in enumerate(rows):
        im = load_style(root, path, rcc_cache)
        if im.mode in ("RGBA", "LA", "P"):
            im = im.convert("RGBA")
            im = Image.alpha_composite(Image.new("RGBA", im.size, "white"), im)
        name = f"{i:03d}.jpg"
        shrink(im.convert("RGB"), 384).save(os.path.join(out, name), quality=92)
        manifest[name] = dict(package=pkg, version=versions[pkg], path=path, licence=licence)
    with open(os.path.join(data, "artworks.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
    counts = {}
    for pkg, _, _ in rows:
        counts[pkg] = counts.get(pkg, 0) + 1
    print(f"{out}: {len(rows)} artworks ({', '.join(f'{p} {n}' for p, n in sorted(counts.items()))})")


def markdown(cache=None):
    path = os.path.join(cache or cache_dir(), "data", "manifest.json")
    versions = json.load(open(path))["packages"] if os.path.exists(path) else {}
    lines = ["## Training data (scripts/train)", "",
             "Used only to train the built-in styles; none of these images is committed or shipped.",
             "`scripts/train/prepare_data.py` downloads the Debian packages below with",
             "`apt-get download` and extracts them with `dpkg -x` into `~/.cache/instyle/data`.",
             "Licences were read from each package's `/usr/share/doc/PKG/copyright` (and, for KDE",
             "wallpapers, each wallpaper's `metadata.json`).", "",
             "| package (bookworm) | version | licence statement |", "| --- | --- | --- |"]
    lines += [f"| `{p}` | {versions.get(p, '?')} | {l} |" for p, l in PACKAGES.items()]
    lines += ["", "### Style images", "", "| style | package | file | author | licence | what |",
              "| --- | --- | --- | --- | --- | --- |"]
    for n, s in STYLES.items():
        crop = f" (crop {s['crop']})" if s["crop"] else ""
        lines.append(f"| {n} | `{s['package']}` | `/{s['path']}`{crop} | {s['author']} | {s['licence']} | {s['about']} |")
    lines += [""] + """### Artworks for the arbitrary-style decoder (`prepare_data.py --artworks`)

`scripts/train/artworks.tsv` (from `docs/artworks-survey.md`) lists 733 artworks in Debian
packages, each with its package, path and licence. `prepare_data.py --artworks` takes those in
the packages above (no other download), minus the style images of this table and Wesnoth's
character portraits: 80 images (Wesnoth's painted landscapes and maps, GPL-2+; GCompris's
old-master paintings, public-domain artworks in GPL-3/GPL-3+ files; KDE Plasma wallpapers,
LGPL-3 or CC-BY-SA-4.0 per `metadata.json`; GNOME backgrounds, CC-BY-SA-3.0 or GPL-2+; MATE
backgrounds, GPL-2+ or CC-BY-SA-4.0; Tux Paint starters, GPL-2+), stored in
`~/.cache/instyle/data/artworks/` with `artworks.json` naming each file's source. They are
targets for the `wct` decoder recipe (`adain.py --recipe wct --style-dir ...`) only: never
committed or shipped; a network trained on them says so in its section above.""".strip("\n").split("\n")
    lines += ["", "### Content photos (eval = held out of training, used for docs/ contact sheets)", "",
              "| name | split | package | file | author | licence |", "| --- | --- | --- | --- | --- | --- |"]
    for name, pkg, path, author, licence, split in CONTENT:
        lines.append(f"| {name} | {split} | `{pkg}` | `/{path}` | {author} | {licence} |")
    lines += ["", "The shipped style networks are trained from these images (a style network reproduces",
              "its style image's textures and colours), so each built-in style credits its style",
              "image's author and licence above.", "",
              "The loss network's weights come from npm `nsfwjs@4.4.0` (MIT; a Keras MobileNetV2 that",
              "its authors fine-tuned from ImageNet weights), converted at training time by",
              "`scripts/train/nsfwjs_to_torch.py` into `~/.cache/instyle/nsfwjs/`; they are not shipped.", ""]
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", help="cache folder (default $INSTYLE_CACHE or ~/.cache/instyle)")
    ap.add_argument("--content-size", type=int, default=512, help="short side of stored photos")
    ap.add_argument("--style-max", type=int, default=1024, help="largest short side of stored styles")
    ap.add_argument("--markdown", action="store_true", help="print the DATA_SOURCES.md section and exit")
    ap.add_argument("--force", action="store_true", help="rebuild content and styles even if up to date")
    ap.add_argument("--artworks", action="store_true",
                    help="also the artworks of artworks.tsv in the packages above, for adain.py --style-dir")
    a = ap.parse_args()
    if a.markdown:
        markdown(a.cache)
    else:
        prepare(a)
        if a.artworks:
            prepare_artworks(a)


if __name__ == "__main__":
    main()
