#!/usr/bin/python3
"""Trains a feed-forward style network (TransformerNet, full or light) for one style image on
the CPU against a perceptual loss (by default a seeded random-weight VGG, see perceptual.py);
resumes from its newest checkpoint by itself.

    /usr/bin/python3 scripts/train/train.py --style elephants --steps 3000        # full network
    /usr/bin/python3 scripts/train/train.py --style sequins --arch light          # light network
    /usr/bin/python3 scripts/train/train.py --style elephants --export out.onnx   # export newest
    /usr/bin/python3 scripts/train/train.py --style elephants --bench 5           # s/step, no files

Run folder: <cache>/train/<run> (run = style, or style-light), outside the repository:
ckpt-<step>.pt (model + Adam state, every --ckpt-minutes, newest two kept), weights.pt (model
only, small: commit this one if a run must move to another machine), log.txt, model.onnx at the
end. SIGTERM/SIGINT save a checkpoint before exiting. Needs libopenblas0-pthread (apt): with
Debian's reference BLAS the Gram matrices are several times slower.
"""
import argparse
import glob
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from images import CropSampler, cache_dir, load_image  # noqa: E402
from onnx_tools import WEIGHTS  # noqa: E402
from perceptual import SPECS, PaletteLoss, PerceptualLoss, loss_spec  # noqa: E402
from resumable import ResumableRun, newest_state  # noqa: E402
from transformer_net import ARCHS, TransformerNet, count_params  # noqa: E402

# Settings a resumed run takes from its checkpoint rather than the command line.
FIXED = ["style", "arch", "size", "batch", "style_size", "content_weight", "style_weight",
         "tv_weight", "range_weight", "lr", "min_crop", "seed", "loss", "identity_steps", "style_ramp",
         "stability_weight", "stability_noise", "stability_shift", "init_from", "palette_weight"]


def saved_settings(args):
    """A checkpoint's settings in today's form: runs from before the loss network was a
    choice used MobileNetV2 and one style image size."""
    args = dict(args)
    args.setdefault("loss", loss_spec("mnv2"))
    args.setdefault("identity_steps", 0)
    args.setdefault("style_ramp", 0)
    args.setdefault("stability_weight", 0.0)
    args.setdefault("stability_noise", 0.0)
    args.setdefault("stability_shift", 0)
    args.setdefault("palette_weight", 0.0)
    args.setdefault("init_from", args.pop("init", None))  # named "init" for a day
    if not isinstance(args.get("style_size"), list):
        args["style_size"] = [args["style_size"]]
    return args


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--style", required=True, help="name of <cache>/data/styles/<style>.png (prepare_data.py)")
    ap.add_argument("--arch", choices=sorted(ARCHS), default="full")
    ap.add_argument("--run", help="run name (default: style, or style-light)")
    ap.add_argument("--steps", type=int, default=2500, help="total steps (a resumed run continues to it)")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--size", type=int, default=256, help="training crop size")
    ap.add_argument("--min-crop", type=float, default=0.5, help="smallest crop, as a fraction of a photo's short side")
    ap.add_argument("--style-size", type=int, nargs="+", default=[384],
                    help="short side of the style image for its Gram targets; several: their Gram matrices averaged")
    ap.add_argument("--loss", choices=sorted(SPECS), default="vgg",
                    help="loss network preset: vgg (seeded random-weight VGG-19) or mnv2 (nsfwjs MobileNetV2)")
    ap.add_argument("--loss-nets", nargs="+", metavar="NET",
                    help="override the preset's networks: vgg:<seed>, vgghp:<seed> (high-pass), mnv2")
    ap.add_argument("--vgg-width", type=float, help="random VGG channel multiplier (preset 0.5)")
    ap.add_argument("--style-layers", nargs="+", help="random VGG style layers (preset relu1_1 .. relu4_1)")
    ap.add_argument("--layer-weights", nargs="+", type=float, help="one per style layer (preset all 1)")
    ap.add_argument("--content-layer", help="content layer of the first loss network (preset: vgg relu2_1)")
    ap.add_argument("--identity-steps", type=int, default=0,
                    help="first train the network to return the photo (L1) for this many steps")
    ap.add_argument("--style-ramp", type=int, default=0,
                    help="steps over which the style weight rises from 0 to its value, after the identity steps")
    ap.add_argument("--content-weight", type=float, default=3.0)
    ap.add_argument("--style-weight", type=float, default=1.0, help="on the sum of the per-layer style losses, each 1 for a photo")
    ap.add_argument("--tv-weight", type=float, default=1.0)
    ap.add_argument("--palette-weight", type=float, default=0.0,
                    help="on the distance between the output's colours and the artwork's, as distributions "
                         "(perceptual.PaletteLoss, 1 for a photo): keeps the network from painting blobs in "
                         "colours the artwork lacks; 0: off")
    ap.add_argument("--range-weight", type=float, default=10.0, help="on outputs outside 0..1 (squared)")
    ap.add_argument("--stability-weight", type=float, default=0.0,
                    help="on the mean absolute difference between the outputs of a photo and of the same photo "
                         "with noise and a shift (video: Gupta et al. 2017); 0: off")
    ap.add_argument("--stability-noise", type=float, default=6.0,
                    help="stability term: Gaussian noise up to this sigma (0..255 units, drawn per batch)")
    ap.add_argument("--stability-shift", type=int, default=2, help="stability term: shifts up to this many pixels")
    ap.add_argument("--init-from", metavar="RUN",
                    help="a new run starts from the newest weights of this run (same arch) instead of at random: "
                         "a network that already paints learns another artwork in fewer steps (recorded as RUN@step)")
    ap.add_argument("--lr", type=float, default=1e-3, help="Adam; decays linearly to lr/10 over the last 30%% of steps")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1, help="torch threads; 0: all cores. On a shared machine two threads can be 5x slower than one (OpenMP waits for a descheduled thread)")
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--max-minutes", type=float, default=0, help="stop (with a checkpoint) after this long; 0: no limit")
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--bench", type=int, default=0, metavar="N", help="time N steps after one warm-up step; write nothing")
    ap.add_argument("--export", metavar="OUT.onnx", help="export the newest checkpoint of the run and exit")
    ap.add_argument("--opset", type=int, default=11)
    ap.add_argument("--weights", choices=WEIGHTS, default="fp32",
                    help="export: fp16 stores weights as float16 (+ Cast nodes); int8 also stores the large "
                         "conv kernels as int8 with a scale per output channel (+ DequantizeLinear, opset 13)")
    ap.add_argument("--fp16", dest="weights", action="store_const", const="fp16", help="the same as --weights fp16")
    ap.add_argument("--cache", help="cache folder (default $INSTYLE_CACHE or ~/.cache/instyle)")
    a = ap.parse_args(argv)
    a.cache = a.cache or cache_dir()
    a.run = a.run or (a.style if a.arch == "full" else f"{a.style}-{a.arch}")
    layers = a.style_layers
    weights = a.layer_weights or ([1.0] * len(layers) if layers else None)
    a.loss = loss_spec(a.loss, nets=a.loss_nets, width=a.vgg_width, style_layers=layers,
                       layer_weights=weights, content_layer=a.content_layer)
    return a


class Trainer(ResumableRun):
    FIXED = FIXED
    LOGGED = ["total", "identity", "content", "style", "palette", "tv", "range", "stable"]

    def __init__(self, a):
        torch.manual_seed(a.seed)
        net = TransformerNet.build(a.arch)
        super().__init__(a, net, torch.optim.Adam(net.parameters(), lr=a.lr))
        state = self.resume()
        if state is None and a.init_from:
            a.init_from = self.start_from(a.init_from)
        data = os.path.join(a.cache, "data")
        photos = glob.glob(os.path.join(data, "content", "train", "*.jpg"))
        self.sampler = CropSampler(photos, a.size, a.min_crop, seed=a.seed * 1000003 + self.step)
        style_path = os.path.join(data, "styles", f"{a.style}.png")
        styles = [load_image(style_path, s) for s in a.style_size]
        self.loss = PerceptualLoss(styles, a.loss, a.cache)
        self.palette = PaletteLoss(styles[0]) if a.palette_weight else None
        if state is not None:
            self.loss.style_norm.copy_(state["style_norm"])
            self.loss.content_norm.copy_(state["content_norm"])
            if self.palette is not None:
                self.palette.norm.copy_(state["palette_norm"])
        else:
            calib = CropSampler(photos, a.size, a.min_crop, seed=12345)
            batches = [calib.batch(a.batch) for _ in range(8)]
            self.loss.calibrate(batches)
            if self.palette is not None:
                self.palette.calibrate(batches)
        print(f"{a.run}: {a.arch} TransformerNet ({count_params(self.net)} parameters), style {style_path} "
              f"at {a.style_size}px, loss {a.loss}, {len(photos)} photos, batch {a.batch}x{a.size}x{a.size}, "
              f"{torch.get_num_threads()} threads")

    def saved_settings(self, args):
        return saved_settings(args)

    def extra_state(self):
        extra = {"style_norm": self.loss.style_norm, "content_norm": self.loss.content_norm}
        if self.palette is not None:
            extra["palette_norm"] = self.palette.norm
        return extra

    def train_step(self):
        a = self.a
        self.set_lr()
        x = self.sampler.batch(a.batch)
        y = self.net.forward01(x)
        if self.step < a.identity_steps:
            # Start from a network that returns the photo, as pixel optimization starts from the
            # photo: straight into the style loss, a feed-forward network collapses to blobs.
            total = F.l1_loss(y, x)
            return self.optimize(total, {"identity": total})
        ramp = min(1.0, (self.step - a.identity_steps + 1) / a.style_ramp) if a.style_ramp else 1.0
        # The loss judges the clipped image the runner will show; the gradient passes the clip
        # unchanged, and a range penalty keeps outputs from drifting far past 0..1 unseen.
        shown = y + (y.clamp(0, 1) - y).detach()
        t = self.loss(shown, x)
        t["range"] = (torch.relu(y - 1) + torch.relu(-y)).pow(2).mean()
        total = (a.content_weight * t["content"] + ramp * a.style_weight * t["style"] + a.tv_weight * t["tv"]
                 + a.range_weight * t["range"])
        if self.palette is not None:
            t["palette"] = self.palette(shown)
            total = total + ramp * a.palette_weight * t["palette"]
        if a.stability_weight:
            t["stable"] = self.stability(x, y)
            total = total + a.stability_weight * t["stable"]
        return self.optimize(total, t)

    def stability(self, x, y):
        """Mean absolute difference between the output y of the batch x and the output of the same
        photos moved by up to stability_shift pixels with camera-like noise, compared where both
        see the same pixels, away from the borders (where padding differs). A network that
        amplifies noise, or paints strokes that depend on where the image starts, flickers."""
        a = self.a
        s = a.stability_shift
        dy, dx = (int(v) for v in torch.randint(-s, s + 1, (2,)))
        size = x.shape[-1]
        moved = x[:, :, s + dy:size - s + dy, s + dx:size - s + dx]
        sigma = float(torch.rand(())) * a.stability_noise / 255
        y2 = self.net.forward01(moved + sigma * torch.randn_like(moved))
        m = 16  # a border wider than the padding's reach into the picture matters little
        same = y[:, :, s + dy + m:size - s + dy - m, s + dx + m:size - s + dx - m]
        # Unclipped: with the clipped outputs compared, a weight of 100 taught the network to push
        # regions past 0..1, where clipping hides every difference (the range loss rose 20x).
        return (y2[:, :, m:-m, m:-m] - same).abs().mean()

def export(net, path, opset=11, weights="fp32"):
    """ONNX with dynamic height and width, 0..255 RGB in and out; constant subgraphs folded so that
    only Pad, Conv, InstanceNormalization, Relu, Add, Resize (and Cast, DequantizeLinear for
    smaller weights) remain."""
    import onnx_tools
    net = net.fold_io_scale().eval()
    model = onnx_tools.export_folded(net, path, opset, weights)
    onnx_tools.check_against(model, net, path, weights)
    return path


def main():
    a = parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    elif torch.get_num_threads() < (os.cpu_count() or 1):
        torch.set_num_threads(os.cpu_count())  # Debian's torch may start with a single thread
    if a.export:
        state, src = newest_state(os.path.join(a.cache, "train", a.run))
        if state is None:
            sys.exit(f"run {a.run}: no checkpoint to export")
        net = TransformerNet.build(state["args"]["arch"])
        net.load_state_dict(state["model"])
        export(net, a.export, a.opset, a.weights)
        print(f"exported {src} (step {state['step']}) to {a.export} ({os.path.getsize(a.export)} bytes)")
        return
    t = Trainer(a)
    if a.bench:
        t.bench(a.bench, f"{a.arch} batch {a.batch}x{a.size}")
    elif t.run():
        out = os.path.join(t.folder, "model.onnx")
        export(t.net, out, a.opset)
        t.log(f"done: {t.step} steps in {t.seconds / 3600:.2f} h of training; exported {out}")


if __name__ == "__main__":
    main()
