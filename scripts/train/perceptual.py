"""The perceptual loss used to train and judge style networks: Gram-matrix style losses and a
feature content loss on one or more loss networks, plus total variation. Images are N,3,H,W
RGB in 0..1 throughout.

    spec = loss_spec("vgg")                            # or "mnv2"; a dict, stored in checkpoints
    loss = PerceptualLoss([style_rgb01], spec)         # Gram targets (one or more style scales)
    loss.calibrate(photo_batches)                      # each style layer's loss on photos -> 1
    terms = loss(output, photo)                        # dict: content, style, style_<net>_<layer>, tv

Loss networks (spec["nets"], any mix; the style terms of all are averaged):
- "vgg:<seed>": a VGG-19 with random weights drawn from the seed (random_vgg.py), the default.
- "vgghp:<seed>": the same with high-pass filters (no response to flat colour: strokes only).
- "mnv2": nsfwjs's MobileNetV2 (nsfwjs_to_torch.py), the loss of the first built-in styles.
The content term uses the FIRST network's spec["content_layer"].
"""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

from random_vgg import RandomVGG

MNV2_STYLE_LAYERS = ["Conv1_relu", "block_1_expand_relu", "block_3_expand_relu",
                     "block_6_expand_relu", "block_13_expand_relu"]
MNV2_CONTENT_LAYER = "block_6_expand_relu"

SPECS = {
    # The random VGG at half width (as strong as full width in the probe, 4-8x cheaper); style
    # relu1_1..relu4_1; content at relu2_1, since deeper random features as the content target
    # let a feed-forward network collapse to blobs (shared/probes/README.md).
    "vgg": dict(nets=["vgg:0"], width=0.5, pool="avg",
                style_layers=["relu1_1", "relu2_1", "relu3_1", "relu4_1"], layer_weights=[1.0, 1.0, 1.0, 1.0],
                content_layer="relu2_1"),
    "mnv2": dict(nets=["mnv2"], style_layers=MNV2_STYLE_LAYERS, layer_weights=[1.0] * 5,
                 content_layer=MNV2_CONTENT_LAYER),
}


def loss_spec(name="vgg", **overrides):
    """A preset with some fields replaced (None values are ignored)."""
    spec = copy.deepcopy(SPECS[name])
    spec.update({k: v for k, v in overrides.items() if v is not None})
    if len(spec["layer_weights"]) != len(spec["style_layers"]):
        raise ValueError(f"{len(spec['layer_weights'])} layer weights for {len(spec['style_layers'])} style layers")
    return spec


class _Gram(torch.autograd.Function):
    """F F^T / hw with a backward of one batched matmul, (dG + dG^T) F / hw, where autograd's
    bmm(f, f^T) takes two; the Gram matrices are a fifth of a training step's time."""

    @staticmethod
    def forward(ctx, f, hw):
        ctx.save_for_backward(f)
        ctx.hw = hw
        return torch.bmm(f, f.transpose(1, 2)) / hw

    @staticmethod
    def backward(ctx, grad):
        (f,) = ctx.saved_tensors
        return torch.bmm(grad + grad.transpose(1, 2), f) / ctx.hw, None


def gram(f):
    """N,C,H,W -> N,C,C, divided by H*W so that image size does not change its scale."""
    n, c, h, w = f.shape
    return _Gram.apply(f.reshape(n, c, h * w), h * w)


def total_variation(y):
    return (y[:, :, 1:, :] - y[:, :, :-1, :]).abs().mean() + (y[:, :, :, 1:] - y[:, :, :, :-1]).abs().mean()


class LossNet(nn.Module):
    """One frozen loss network with the layers it is asked for: style layers (and weights) and,
    for the first network, the content layer."""

    def __init__(self, name, spec, cache=None):
        super().__init__()
        self.name = name.replace(":", "")
        kind, _, seed = name.partition(":")
        if kind in ("vgg", "vgghp"):
            self.style_layers = list(spec["style_layers"])
            self.weights = list(spec["layer_weights"])
            self.net = RandomVGG(int(seed or 0), spec.get("width", 0.5), spec.get("pool", "avg"),
                                 highpass=kind == "vgghp")
            self.call = lambda x, want: self.net(x, want)
        elif kind == "mnv2":
            from nsfwjs_to_torch import load_mobilenet_v2
            self.style_layers = list(MNV2_STYLE_LAYERS)
            self.weights = [1.0] * len(self.style_layers)
            self.net = load_mobilenet_v2(list(dict.fromkeys(self.style_layers + [MNV2_CONTENT_LAYER])), cache)
            self.call = lambda x, want: self.net(x)
        else:
            raise ValueError(f"unknown loss network {name!r} (vgg:<seed>, vgghp:<seed> or mnv2)")

    def forward(self, x, want):
        return self.call(x, set(want))


class PerceptualLoss(nn.Module):
    def __init__(self, styles, spec=None, cache=None):
        """styles: one 1,3,H,W image or a list of them (the same artwork at several scales,
        whose Gram matrices are averaged: strokes of several sizes)."""
        super().__init__()
        self.spec = spec = spec or loss_spec("vgg")
        styles = styles if isinstance(styles, (list, tuple)) else [styles]
        self.nets = nn.ModuleList(LossNet(n, spec, cache) for n in spec["nets"])
        self.content_layer = spec["content_layer"]
        self.keys = [(i, l) for i, n in enumerate(self.nets) for l in n.style_layers]
        self.layer_weights = [w for n in self.nets for w in n.weights]
        with torch.no_grad():
            for j, (i, l) in enumerate(self.keys):
                t = sum(gram(self.nets[i](s, [l])[l]) for s in styles) / len(styles)
                self.register_buffer(f"target{j}", t)
        # Scales that bring each term to about 1 on ordinary photos (see calibrate()).
        self.register_buffer("style_norm", torch.ones(len(self.keys)))
        self.register_buffer("content_norm", torch.ones(()))

    @property
    def style_layers(self):
        """Term names, one per (network, layer)."""
        return [f"{self.nets[i].name}_{l}" for i, l in self.keys]

    def targets(self):
        return [getattr(self, f"target{j}") for j in range(len(self.keys))]

    def _features(self, x, content=True):
        feats = []
        for i, n in enumerate(self.nets):
            want = list(n.style_layers) + ([self.content_layer] if content and i == 0 else [])
            feats.append(n(x, want))
        return feats

    def _style_terms(self, feats):
        return [F.mse_loss(gram(feats[i][l]), t.expand(feats[i][l].shape[0], -1, -1))
                for (i, l), t in zip(self.keys, self.targets())]

    @torch.no_grad()
    def calibrate(self, batches):
        """Sets each style layer's scale so that a plain photo scores 1 on it (no layer
        dominates just because its Gram values are large), and the content scale to the
        photos' mean squared content feature, so content loss is a relative error."""
        s = torch.zeros(len(self.keys))
        c = torch.zeros(())
        for x in batches:
            feats = self._features(x)
            s += torch.stack(self._style_terms(feats))
            c += feats[0][self.content_layer].pow(2).mean()
        self.style_norm.copy_(s / len(batches))
        self.content_norm.copy_(c / len(batches))

    def forward(self, y, x=None, x_feats=None):
        """Terms for output y against photo x (content). Each style term is 1 for a photo;
        "style" is their weighted sum, averaged over the loss networks.
        x_feats: the photo's content features, if already computed."""
        feats = self._features(y)
        out = {}
        terms = [v / n for v, n in zip(self._style_terms(feats), self.style_norm)]
        for name, v in zip(self.style_layers, terms):
            out[f"style_{name}"] = v
        out["style"] = sum(w * v for w, v in zip(self.layer_weights, terms)) / len(self.nets)
        if x is not None or x_feats is not None:
            if x_feats is None:
                x_feats = self.content_features(x)
            out["content"] = F.mse_loss(feats[0][self.content_layer], x_feats) / self.content_norm
        out["tv"] = total_variation(y)
        return out

    @torch.no_grad()
    def content_features(self, x):
        return self.nets[0](x, [self.content_layer])[self.content_layer]


class PaletteLoss(nn.Module):
    """How far an image's colours are from the artwork's, as a distribution: the sliced
    Wasserstein-2 distance between the image's pixels and the style image's pixels in RGB
    (project both on fixed directions, sort, compare quantile by quantile). Calibrated like the
    style terms: a plain photo scores 1.

    Why: Gram matrices sum squared activations, so a few intense pixels can stand in for
    texture the network cannot paint. Some full networks learned to paint saturated blobs
    (green, violet, magenta) in colours the artwork never uses, on dark or high-contrast spots
    of the photo; the loss barely saw them (the high-pass VGG's relu1_1 term even preferred them). Gram losses are known to
    be unstable this way, and histogram terms stabilize them (Risser, Wilmot & Barnes 2017);
    this is the simplest such term, on pixel colours only.

        palette = PaletteLoss(style_rgb01)
        palette.calibrate(photo_batches)
        value = palette(output)                # scalar, per-image distances averaged
    """

    def __init__(self, style, directions=16, max_pixels=1 << 16):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        d = torch.randn(directions, 3, generator=g)
        d[:4] = torch.tensor([[1.0, 1.0, 1.0], [1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]])  # grey axis, R, G, B
        self.register_buffer("directions", d / d.norm(dim=1, keepdim=True))
        pixels = style.reshape(3, -1).t()
        if pixels.shape[0] > max_pixels:  # an even subsample: quantiles barely move
            pixels = pixels[torch.linspace(0, pixels.shape[0] - 1, max_pixels).long()]
        self.register_buffer("sorted_style", (pixels @ self.directions.t()).sort(dim=0).values)
        self.register_buffer("norm", torch.ones(()))
        self._targets = {}

    def _target(self, n):
        """The style's quantiles at the midpoints of n equal bins, one column per direction."""
        if n not in self._targets:
            m = self.sorted_style.shape[0]
            pos = torch.arange(n, dtype=torch.float64, device=self.sorted_style.device)
            idx = ((pos + 0.5) * m / n).long().clamp(max=m - 1)
            self._targets[n] = self.sorted_style[idx]
        return self._targets[n]

    def _raw(self, y):
        n = y.shape[2] * y.shape[3]
        proj = torch.einsum("nchw,dc->nhwd", y, self.directions).reshape(y.shape[0], n, -1)
        return (proj.sort(dim=1).values - self._target(n)).pow(2).mean()

    @torch.no_grad()
    def calibrate(self, batches):
        self.norm.copy_(sum(self._raw(x) for x in batches) / len(batches))

    def forward(self, y):
        return self._raw(y) / self.norm
