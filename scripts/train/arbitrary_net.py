"""The arbitrary-style network (issue 15): a seeded random-weight VGG encoder, an AdaIN layer and a
trained decoder, and its export as ONE ONNX graph that instyle's runner takes:

    input (1,3,H,W RGB 0..255) -> encoder -> InstanceNormalization "adain" (scale 1, shift 0)
                               -> decoder -> output (1,3,H,W RGB 0..255)

At run time the engine gives the layer named "adain" a style's per-channel mean and standard
deviation (RunOptions::adain in src/model/plan.h) instead of its unit scale and zero shift, so the
same file serves every style; the style's statistics come from a run of the style image up to
that layer (StylizeSession::style_code). Big photos then tile like any instance-norm network: a
thumbnail records the photo's statistics at every IN layer, "adain" included.

    enc, dec = Encoder(seed=0, width=0.5, level="relu3_1"), Decoder(0.5, "relu3_1")
    y01 = dec(adain(enc(photo01), enc(style01)))             # what training optimizes
    export(enc, dec, "arbitrary.onnx", fp16=True)              # what the package ships

Only torch and random_vgg are imported, so scripts/make_test_models.py can build a small one.
"""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

from random_vgg import LAYOUT, NAMES, RandomVGG

EPS = 1e-5  # AdaIN's, and the exported InstanceNormalization's
LAYER = "adain"  # the name of the InstanceNormalization node the engine re-normalizes
WHITENING_FLOOR = 1e-3  # src/wct.h kWhiteningFloor


def adain(content, style, eps=EPS):
    """Each channel of `content` re-normalized to the mean and standard deviation of `style`'s."""
    cm, cs = content.mean((2, 3), keepdim=True), (content.var((2, 3), keepdim=True, unbiased=False) + eps).sqrt()
    sm, ss = style.mean((2, 3), keepdim=True), (style.var((2, 3), keepdim=True, unbiased=False) + eps).sqrt()
    return (content - cm) / cs * ss + sm


def _symmetric_power(c, p, floor=0.0, eps=0.0):
    e, v = torch.linalg.eigh(c)
    e = e.clamp_min(0)
    e = e + floor * e.mean() + eps
    return v @ torch.diag(e.pow(p)) @ v.T


def _mean_cov(f):
    x = f[0].reshape(f.shape[1], -1).double()
    m = x.mean(1, keepdim=True)
    return x, m, (x - m) @ (x - m).T / x.shape[1]


def wct(content, style, strength=1.0, eps=EPS):
    """The whitening and colouring transform (Li et al. 2017) of one image's features, as the
    engine computes it (src/wct.h): the photo's features decorrelated with their own covariance
    (eigenvalues raised by WHITENING_FLOOR times their mean plus eps) and given the style's
    covariance and mean, blended with the photo's by `strength`."""
    x, mx, cx = _mean_cov(content)
    _, ms, cs = _mean_cov(style)
    t = _symmetric_power(cs, 0.5) @ _symmetric_power(cx, -0.5, WHITENING_FLOOR, eps)
    k = strength
    m = k * t + (1 - k) * torch.eye(t.shape[0], dtype=t.dtype)
    y = m @ (x - mx) + k * ms + (1 - k) * mx
    return y.reshape(content.shape).to(content.dtype)


class Encoder(nn.Module):
    """The random VGG up to `level`: features of a 0..1 image."""

    def __init__(self, seed, width, level):
        super().__init__()
        self.vgg = RandomVGG(seed, width)
        self.level = level

    def forward(self, x01):
        return self.vgg(x01, {self.level})[self.level]

    def layers(self):
        """The modules up to and including the level's ReLU, in order."""
        last = self.vgg.names.index(self.level)
        return list(self.vgg.layers[:last + 1])


class Decoder(nn.Module):
    """The encoder's mirror: its convolutions in reverse (each back to the previous width), a
    nearest x2 upsampling where it pooled, and a last convolution to RGB."""

    def __init__(self, width, level):
        super().__init__()
        chans = []  # the encoder's convolution widths up to the level, "M" for each pooling
        for v, n in zip(LAYOUT, NAMES):
            chans.append(v if v == "M" else max(8, int(v * width)))  # as RandomVGG sizes them
            if n and "relu" + n == level:
                break
        back = list(reversed(chans))[1:] + [3]
        layers, cin = [], chans[-1]
        for i, v in enumerate(back):
            if v == "M":
                layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
                continue
            layers += [nn.ReflectionPad2d(1), nn.Conv2d(cin, v, 3)]
            if i < len(back) - 1:
                layers.append(nn.ReLU())
            cin = v
        self.body = nn.Sequential(*layers)

    def forward(self, f):
        return self.body(f)


class ExportNet(nn.Module):
    """Encoder, instance norm and decoder as one 0..255 network. RandomVGG's input normalization
    ((x - 0.45) / 0.225 of a 0..1 image) is folded into the first convolution and the x255 of the
    output into the last (reflect padding commutes with a per-pixel affine map), so the graph holds
    only Pad, Conv, Relu, AveragePool, InstanceNormalization and Resize."""

    def __init__(self, encoder, decoder):
        super().__init__()
        enc = copy.deepcopy(encoder.layers())
        first = enc[0]
        a, b = 1 / (255 * 0.225), -0.45 / 0.225
        with torch.no_grad():
            first.bias.add_(b * first.weight.sum((1, 2, 3)))
            first.weight.mul_(a)
        dec = copy.deepcopy(decoder.body)
        last = [m for m in dec if isinstance(m, nn.Conv2d)][-1]
        with torch.no_grad():
            last.weight.mul_(255)
            last.bias.mul_(255)
        self.encoder = nn.Sequential(*enc)
        self.decoder = dec

    def forward(self, x255):
        return self.decoder(F.instance_norm(self.encoder(x255), eps=EPS))


def reference(encoder, decoder, photo255, style255=None, strength=1.0, transform="adain"):
    """What the engine should compute, in PyTorch: the photo's features at the style layer
    given a blend of the style's statistics and their own (strength 0: their own), by AdaIN or
    by WCT."""
    with torch.no_grad():
        f = encoder(photo255 / 255)
        if style255 is None:
            t = f
        elif transform == "wct":
            t = wct(f, encoder(style255 / 255), strength)
        else:
            s = encoder(style255 / 255)
            cm, cs = f.mean((2, 3), keepdim=True), (f.var((2, 3), keepdim=True, unbiased=False) + EPS).sqrt()
            sm, ss = s.mean((2, 3), keepdim=True), (s.var((2, 3), keepdim=True, unbiased=False) + EPS).sqrt()
            k = strength
            t = (f - cm) / cs * (k * ss + (1 - k) * cs) + k * sm + (1 - k) * cm
        return decoder(t) * 255


def export(encoder, decoder, path, opset=11, fp16=False):
    """Writes the one-graph ONNX file (dynamic height and width) and checks it against PyTorch with
    onnx_tools' independent interpreter, at a size other than the traced one."""
    import onnx
    import onnx_tools
    net = ExportNet(encoder, decoder).eval()
    model = onnx_tools.export_folded(net, path, opset, "fp16" if fp16 else "fp32")
    norms = [n for n in model.graph.node if n.op_type == "InstanceNormalization"]
    assert len(norms) == 1, f"expected one InstanceNormalization, found {len(norms)}"
    norms[0].name = LAYER
    onnx.save(model, path)
    onnx_tools.check_against(model, net, path, "fp16" if fp16 else "fp32")
    return model
