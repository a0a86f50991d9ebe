#!/usr/bin/python3
"""Trains the decoder of an arbitrary-style network (issue 15: any image as the style) on the CPU.
The encoder is a seeded random-weight VGG (random_vgg.py) up to relu3_1 or relu4_1, so nothing
pretrained is needed; the decoder mirrors it (reflect-padded 3x3 convolutions, ReLU, nearest
upsampling: ops instyle's runner has). Two recipes:

- adain (Huang & Belongie 2017): the photo's features are re-normalized per channel to the
  style image's mean and standard deviation, t = AdaIN(E(photo), E(style)); the decoder is
  trained so that E(D(t)) = t (content) and D(t) has the style's statistics in the loss
  networks (style), over many style images.
- recon (the WCT recipe, Li et al. 2017): the decoder only learns to invert the encoder,
  D(E(photo)) = photo, in pixels and features; styles are applied to the features at run time.
- wct: recon, plus painting what the engine's default transform makes: for t =
  WCT(E(photo), E(style)) (arbitrary_net.wct) the decoder is also trained so that E(D(t)) = t
  (weight --style-weight), so that whitened-and-coloured features come out as the textures
  that give them, not as blotches (a recon decoder never sees such features). Start it from a
  recon decoder (--init-from).

    /usr/bin/python3 scripts/train/adain.py --run adain-r31 --level relu3_1 --steps 4000
    /usr/bin/python3 scripts/train/adain.py --run adain-r31 --bench 3        # s/step, no files
    /usr/bin/python3 scripts/train/adain.py --run adain-r31 --sheet out.jpg  # held-out photos x artworks
    /usr/bin/python3 scripts/train/adain.py --run adain-r31 --export styles/arbitrary.onnx --fp16

Style images for training: every image in <cache>/data/styles (prepare_data.py) and in
--style-dir folders, but those named in --hold-out (kept for judging). Run folders, resume and
checkpoints as train.py (resumable.py).
"""
import argparse
import glob
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from arbitrary_net import Decoder, Encoder, adain, export, wct  # noqa: E402
from images import CropSampler, cache_dir, load_image, to_pil  # noqa: E402
from perceptual import LossNet, gram, loss_spec, total_variation  # noqa: E402
from resumable import ResumableRun  # noqa: E402

FIXED = ["recipe", "level", "seed", "width", "size", "batch", "lr", "content_weight", "style_weight",
         "tv_weight", "range_weight", "loss_nets", "style_stat", "hold_out"]
# Artworks kept out of training by default, to judge the network on styles it never saw.
HOLD_OUT = ["kandinsky", "cafe", "grimaltar"]


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="run name: <cache>/train/<run>")
    ap.add_argument("--recipe", choices=["adain", "recon", "wct"], default="adain")
    ap.add_argument("--level", choices=["relu3_1", "relu4_1"], default="relu3_1", help="the encoder's last layer")
    ap.add_argument("--seed", type=int, default=0, help="the random VGG's seed (encoder and vgg loss net)")
    ap.add_argument("--width", type=float, default=0.5, help="the random VGG's channel multiplier")
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--size", type=int, default=192, help="crop size of photos and style images")
    ap.add_argument("--loss-nets", nargs="+", default=["vgg:0", "vgghp:1"],
                    help="style loss networks (perceptual.py): vgg:<seed>, vgghp:<seed>, mnv2")
    ap.add_argument("--style-stat", choices=["gram", "meanstd"], default="gram",
                    help="style loss on Gram matrices (as train.py) or per-channel mean and std (AdaIN's)")
    ap.add_argument("--content-weight", type=float, default=1.0)
    ap.add_argument("--style-weight", type=float, default=1.0)
    ap.add_argument("--tv-weight", type=float, default=1.0)
    ap.add_argument("--range-weight", type=float, default=10.0,
                    help="on outputs outside 0..1 (squared), as train.py: without it the decoder drifted past "
                         "0..1, where the clipped output is flat and no loss can pull it back (adain-r31)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--style-dir", nargs="*", default=[], help="more folders of style images")
    ap.add_argument("--init-from", metavar="RUN", help="a new run starts from RUN's newest decoder weights "
                    "(e.g. the adain recipe from a recon decoder); ignored once the run has a checkpoint")
    ap.add_argument("--hold-out", nargs="*", default=HOLD_OUT, help="style image names kept out of training")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--max-minutes", type=float, default=0)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--bench", type=int, default=0, metavar="N")
    ap.add_argument("--sheet", metavar="OUT.jpg", help="held-out photos x held-out artworks from the newest checkpoint")
    ap.add_argument("--export", metavar="OUT.onnx", help="encoder, AdaIN layer and decoder as one ONNX graph (arbitrary_net.py)")
    ap.add_argument("--fp16", action="store_true", help="with --export: fp16 weights")
    ap.add_argument("--cache")
    a = ap.parse_args(argv)
    a.cache = a.cache or cache_dir()
    return a


def style_paths(a):
    data = os.path.join(a.cache, "data", "styles")
    paths = glob.glob(os.path.join(data, "*.png")) + [p for d in a.style_dir for p in glob.glob(os.path.join(d, "*"))]
    held = set(a.hold_out)
    train = sorted(p for p in paths if os.path.splitext(os.path.basename(p))[0] not in held)
    judge = sorted(p for p in paths if os.path.splitext(os.path.basename(p))[0] in held)
    return train, judge


class AdaInTrainer(ResumableRun):
    FIXED = FIXED
    LOGGED = ["total", "content", "style", "pixels", "wct", "tv", "range"]

    def __init__(self, a):
        torch.manual_seed(a.seed + 1)
        self.encoder = Encoder(a.seed, a.width, a.level)
        decoder = Decoder(a.width, a.level)
        super().__init__(a, decoder, torch.optim.Adam(decoder.parameters(), lr=a.lr))
        state = self.resume()
        if state is None and a.init_from:
            self.start_from(a.init_from)
        photos = glob.glob(os.path.join(a.cache, "data", "content", "train", "*.jpg"))
        self.photos = CropSampler(photos, a.size, 0.5, seed=1000003 + self.step)
        train, judge = style_paths(a)
        self.styles = CropSampler(train, a.size, 0.3, seed=2000003 + self.step) if a.recipe != "recon" else None
        spec = loss_spec("vgg", nets=a.loss_nets)
        self.loss_nets = nn.ModuleList(LossNet(n, spec, a.cache) for n in a.loss_nets)
        self.keys = [(i, l) for i, n in enumerate(self.loss_nets) for l in n.style_layers]
        self.register_norms(state)
        print(f"{a.run}: {a.recipe} decoder from {a.level} (random VGG seed {a.seed}, width {a.width}), "
              f"{sum(p.numel() for p in self.net.parameters())} parameters; {len(photos)} photos, "
              f"{len(train)} style images ({len(judge)} held out); style loss {a.style_stat} over {a.loss_nets}")

    def register_norms(self, state):
        if state is not None and "style_norm" in state:
            self.style_norm = state["style_norm"]
            return
        # Each style term is scaled to 1 for a photo against another photo's statistics.
        with torch.no_grad():
            x, y = self.photos.batch(self.a.batch), self.photos.batch(self.a.batch)
            self.style_norm = torch.stack(self.style_terms(self.features(x), self.features(y))).clamp_min(1e-8)

    def extra_state(self):
        return {"style_norm": self.style_norm}

    def features(self, x):
        return [n(x, n.style_layers) for n in self.loss_nets]

    def style_terms(self, fy, fs):
        terms = []
        for i, l in self.keys:
            a, b = fy[i][l], fs[i][l]
            if self.a.style_stat == "gram":
                terms.append(F.mse_loss(gram(a), gram(b)))
            else:
                terms.append(F.mse_loss(a.mean((2, 3)), b.mean((2, 3))) + F.mse_loss(a.std((2, 3)), b.std((2, 3))))
        return terms

    def decode(self, f):
        """The output as the runner shows it (clipped, with straight-through gradients), and the
        penalty on what the clipping hid."""
        y = self.net(f)
        return y + (y.clamp(0, 1) - y).detach(), (torch.relu(y - 1) + torch.relu(-y)).pow(2).mean()

    def train_step(self):
        a = self.a
        self.set_lr()
        x = self.photos.batch(a.batch)
        with torch.no_grad():
            fx = self.encoder(x)
        t = {}
        if a.recipe == "adain":
            s = self.styles.batch(a.batch)
            with torch.no_grad():
                target = adain(fx, self.encoder(s))
                fs = self.features(s)
            y, t["range"] = self.decode(target)
            t["content"] = F.mse_loss(self.encoder(y), target) / target.pow(2).mean()
            terms = [v / n for v, n in zip(self.style_terms(self.features(y), fs), self.style_norm)]
            t["style"] = sum(terms) / len(self.loss_nets)
            total = a.content_weight * t["content"] + a.style_weight * t["style"]
        else:
            y, t["range"] = self.decode(fx)
            t["pixels"] = F.l1_loss(y, x)
            t["content"] = F.mse_loss(self.encoder(y), fx) / fx.pow(2).mean()
            total = t["pixels"] + a.content_weight * t["content"]
            if a.recipe == "wct":
                s = self.styles.batch(a.batch)
                with torch.no_grad():
                    fs = self.encoder(s)
                    target = torch.cat([wct(fx[i:i + 1], fs[i:i + 1]) for i in range(a.batch)])
                yw, rw = self.decode(target)
                t["wct"] = F.mse_loss(self.encoder(yw), target) / target.pow(2).mean()
                t["range"] = t["range"] + rw
                total = total + a.style_weight * t["wct"]
                y = torch.cat([y, yw])
        t["tv"] = total_variation(y)
        total = total + a.tv_weight * t["tv"] + a.range_weight * t["range"]
        return self.optimize(total, t)

    @torch.no_grad()
    def sheet(self, out, size=256):
        """Held-out photos (rows) x held-out artworks (columns), the photo first in each row."""
        from PIL import Image
        photos = sorted(glob.glob(os.path.join(self.a.cache, "data", "content", "eval", "*.jpg")))
        _, judge = style_paths(self.a)
        styles = [load_image(p, size) for p in judge]
        cols = 1 + len(styles)
        im = Image.new("RGB", (cols * size, (1 + len(photos)) * size), "white")
        for j, s in enumerate(styles):
            im.paste(to_pil(s[:, :, :size, :size]), ((j + 1) * size, 0))
        for i, p in enumerate(photos):
            x = load_image(p, size, multiple=8)[:, :, :size, :size]
            im.paste(to_pil(x), (0, (i + 1) * size))
            for j, s in enumerate(styles):
                # Every recipe is used the same way at run time: the engine's default transform
                # (WCT), then the decoder.
                y = self.net(wct(self.encoder(x), self.encoder(s)))
                im.paste(to_pil(y), ((j + 1) * size, (i + 1) * size))
        im.save(out, quality=88)
        print(f"wrote {out}: {len(photos)} photos x {len(styles)} held-out artworks at step {self.step}")


def main():
    a = parse_args()
    torch.set_num_threads(a.threads or os.cpu_count())
    t = AdaInTrainer(a)
    if a.sheet:
        t.sheet(a.sheet)
    elif a.export:
        export(t.encoder, t.net, a.export, fp16=a.fp16)
        print(f"exported {a.run} (step {t.step}) to {a.export} ({os.path.getsize(a.export)} bytes)")
    elif a.bench:
        t.bench(a.bench, f"{a.recipe} {a.level} batch {a.batch}x{a.size}")
    else:
        t.run()


if __name__ == "__main__":
    main()
