#!/usr/bin/python3
"""Converts nsfwjs@4.4.0's MobileNetV2 (TensorFlow.js layers format, uint8 weights) to PyTorch,
for use as the perceptual-loss network when training style networks. The npm package is
installed into a cache folder outside the repository and the converted weights stay there.

    from nsfwjs_to_torch import load_mobilenet_v2
    net = load_mobilenet_v2(outputs=["Conv1_relu", "block_6_expand_relu"])  # frozen, eval
    feats = net(rgb01)  # rgb01: N,3,H,W RGB in 0..1 (nsfwjs feeds pixels/255); dict of NCHW

    /usr/bin/python3 scripts/train/nsfwjs_to_torch.py --verify photo.jpg   # compare with nsfwjs in Node
"""
import argparse
import base64
import json
import math
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

NSFWJS_VERSION = "4.4.0"
TFJS_VERSION = "4.22.0"  # a peer dependency, only needed to run nsfwjs itself (--verify)
MODEL = "mobilenet_v2"
HERE = os.path.dirname(os.path.abspath(__file__))


def cache_dir():
    return os.environ.get("INSTYLE_CACHE", os.path.expanduser("~/.cache/instyle"))


def ensure_nsfwjs(cache=None):
    """Installs nsfwjs (and tfjs for verification) with npm into <cache>/nsfwjs once."""
    root = os.path.join(cache or cache_dir(), "nsfwjs")
    pkg = os.path.join(root, "node_modules", "nsfwjs", "package.json")
    if os.path.exists(pkg) and json.load(open(pkg))["version"] == NSFWJS_VERSION:
        return root
    os.makedirs(root, exist_ok=True)
    if not os.path.exists(os.path.join(root, "package.json")):
        with open(os.path.join(root, "package.json"), "w") as f:
            json.dump({"name": "instyle-nsfwjs-cache", "private": True}, f)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", f"nsfwjs@{NSFWJS_VERSION}",
                    f"@tensorflow/tfjs@{TFJS_VERSION}", "buffer@6"], cwd=root, check=True)
    return root


def read_tfjs_model(root):
    """Returns (layers, weights): the Keras layer list and a dict of float32 numpy arrays."""
    model_dir = os.path.join(root, "node_modules", "nsfwjs", "dist", "models", MODEL)
    # The .min.js files are browserify bundles; Node evaluates them more safely than a regex.
    script = (
        "const path=require('path');const d=process.argv[1];"
        "const m=require(path.join(d,'model.min.js'));const shards={};"
        "for(const g of m.weightsManifest)for(const p of g.paths)"
        "shards[p]=require(path.join(d,p+'.min.js'));"
        "process.stdout.write(JSON.stringify({model:m,shards}));")
    out = subprocess.run(["node", "-e", script, model_dir], check=True, capture_output=True).stdout
    bundle = json.loads(out)
    topology = bundle["model"]["modelTopology"]
    layers = topology["model_config"]["config"]["layers"]
    weights = {}
    for group in bundle["model"]["weightsManifest"]:
        data = b"".join(base64.b64decode(bundle["shards"][p]) for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            count = int(np.prod(spec["shape"])) if spec["shape"] else 1
            q = spec.get("quantization")
            if q is None:
                assert spec["dtype"] == "float32", spec
                arr = np.frombuffer(data, np.float32, count, offset)
                offset += 4 * count
            elif q["dtype"] == "uint8":
                # tfjs dequantizes affine uint8 weights as min + scale * q.
                arr = q["min"] + q["scale"] * np.frombuffer(data, np.uint8, count, offset).astype(np.float64)
                offset += count
            else:
                raise ValueError(f"unsupported quantization {q} for {spec['name']}")
            weights[spec["name"]] = arr.astype(np.float32).reshape(spec["shape"])
        assert offset == len(data), (offset, len(data))
    return layers, weights


def converted_path(cache=None):
    return os.path.join(cache or cache_dir(), "nsfwjs", f"{MODEL}-{NSFWJS_VERSION}.pt")


def load_converted(cache=None):
    """Returns {'layers', 'weights'} (weights as torch tensors), converting once into the cache."""
    path = converted_path(cache)
    if not os.path.exists(path):
        layers, weights = read_tfjs_model(ensure_nsfwjs(cache))
        tmp = path + ".tmp"
        torch.save({"layers": layers, "weights": {k: torch.from_numpy(v) for k, v in weights.items()}}, tmp)
        os.replace(tmp, path)
    return torch.load(path)


def _inbound(layer):
    nodes = layer["inbound_nodes"]
    return [n[0] for n in nodes[0]] if nodes else []


class _SamePad(nn.Module):
    """TensorFlow 'same' padding: computed from the input size, the extra pixel goes bottom/right."""

    def __init__(self, kernel, stride, dilation):
        super().__init__()
        self.k = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
        self.s = stride

    def forward(self, x):
        pads = []
        for size, k, s in zip(x.shape[2:], self.k, self.s):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads.append((total // 2, total - total // 2))
        (t, b), (l, r) = pads
        return F.pad(x, (l, r, t, b)) if t or b or l or r else x


class _Keras(nn.Module):
    """One Keras layer as a torch module; conv layers may carry a folded BatchNormalization."""

    def __init__(self, layer, w):
        super().__init__()
        self.kind = layer["class_name"]
        c = layer["config"]
        self.cfg = c
        self.act = c.get("activation", "linear")
        name = layer["name"]
        if self.kind in ("Conv2D", "DepthwiseConv2D"):
            self.pad = _SamePad(c["kernel_size"], c["strides"], c["dilation_rate"]) if c["padding"] == "same" else None
            if self.kind == "Conv2D":
                k = w[f"{name}/kernel"].permute(3, 2, 0, 1)  # HWIO -> OIHW
                self.groups = 1
            else:
                k = w[f"{name}/depthwise_kernel"]  # H, W, in, multiplier
                kh, kw, cin, mult = k.shape
                k = k.permute(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw)  # channel i*mult+m as in TF
                self.groups = cin
            self.weight = nn.Parameter(k.contiguous().clone(), requires_grad=False)
            b = w.get(f"{name}/bias") if c.get("use_bias") else None
            self.bias = nn.Parameter(torch.zeros(k.shape[0]) if b is None else b.clone(), requires_grad=False)
            self.stride, self.dilation = tuple(c["strides"]), tuple(c["dilation_rate"])
            self.pointwise = (self.groups == 1 and tuple(k.shape[2:]) == (1, 1)
                              and self.stride == (1, 1))
        elif self.kind == "BatchNormalization":
            self.scale, self.shift = _bn_affine(layer, w)
        elif self.kind == "Dense":
            self.weight = nn.Parameter(w[f"{name}/kernel"].t().contiguous(), requires_grad=False)
            self.bias = nn.Parameter(w[f"{name}/bias"].clone(), requires_grad=False)

    def fold_bn(self, scale, shift):
        self.weight.data *= scale.view(-1, 1, 1, 1)
        self.bias.data = self.bias.data * scale + shift

    def forward(self, *xs):
        c, kind = self.cfg, self.kind
        x = xs[0]
        if kind in ("Conv2D", "DepthwiseConv2D"):
            if self.pad is not None:
                x = self.pad(x)
            if self.pointwise:
                # A 1x1 conv as one matrix product over every pixel of the batch: single-threaded
                # PyTorch would run it as a small matrix product per image, several times slower
                # at MobileNetV2's 12x12 and 24x24 (the output is NCHW with channels-last strides).
                n, c, h, w = x.shape
                y = torch.addmm(self.bias, x.permute(0, 2, 3, 1).reshape(n * h * w, c), self.weight.view(-1, c).t())
                x = y.view(n, h, w, -1).permute(0, 3, 1, 2)
            else:
                x = F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        elif kind == "BatchNormalization":
            x = x * self.scale.view(1, -1, 1, 1) + self.shift.view(1, -1, 1, 1)
        elif kind == "ReLU":
            assert c.get("negative_slope", 0) == 0 and c.get("threshold", 0) == 0, c
            x = F.relu(x) if c.get("max_value") is None else torch.clamp(x, 0, c["max_value"])
        elif kind == "ZeroPadding2D":
            (t, b), (l, r) = c["padding"]
            x = F.pad(x, (l, r, t, b))
        elif kind == "Add":
            x = sum(xs[1:], xs[0])
        elif kind == "AveragePooling2D":
            assert c["padding"] == "valid", c
            x = F.avg_pool2d(x, c["pool_size"], c["strides"])
        elif kind == "GlobalAveragePooling2D":
            x = x.mean((2, 3))
        elif kind == "Flatten":
            x = x.permute(0, 2, 3, 1).flatten(1) if x.dim() == 4 else x.flatten(1)  # Keras is NHWC
        elif kind == "Dense":
            x = F.linear(x, self.weight, self.bias)
        elif kind in ("Dropout", "InputLayer"):
            pass
        else:
            raise NotImplementedError(f"Keras layer {kind}")
        if self.act == "relu":
            x = F.relu(x)
        elif self.act == "softmax":
            x = torch.softmax(x, 1)
        elif self.act != "linear":
            raise NotImplementedError(f"activation {self.act}")
        return x


def _bn_affine(layer, w):
    c, name = layer["config"], layer["name"]
    var = w[f"{name}/moving_variance"]
    gamma = w[f"{name}/gamma"] if c.get("scale", True) else torch.ones_like(var)
    beta = w[f"{name}/beta"] if c.get("center", True) else torch.zeros_like(var)
    scale = gamma / torch.sqrt(var + c["epsilon"])
    return scale, beta - w[f"{name}/moving_mean"] * scale


class KerasGraph(nn.Module):
    """Runs the part of a Keras functional graph that the requested outputs depend on.

    Input: N,3,H,W float RGB in 0..1 (the scale nsfwjs feeds: pixels / 255). Any H, W.
    Output: dict name -> NCHW tensor (or N,C for dense layers), in the order of `outputs`.
    """

    def __init__(self, layers, weights, outputs, fold_bn=True):
        super().__init__()
        by_name = {l["name"]: l for l in layers}
        need, stack = set(), list(outputs)
        while stack:
            n = stack.pop()
            if n not in need:
                need.add(n)
                stack.extend(_inbound(by_name[n]))
        consumers = {}
        for l in layers:
            for src in _inbound(l):
                consumers.setdefault(src, []).append(l["name"])
        self.outputs = list(outputs)
        self.order, self.alias, self.inputs = [], {}, {}
        self.mods = nn.ModuleDict()
        for l in layers:  # Keras lists layers in a topological order
            name = l["name"]
            if name not in need:
                continue
            src = [self.alias.get(s, s) for s in _inbound(l)]
            if l["class_name"] == "InputLayer":
                self.input_name = name
                continue
            if (fold_bn and l["class_name"] == "BatchNormalization" and len(src) == 1
                    and by_name.get(_inbound(l)[0], {}).get("class_name") in ("Conv2D", "DepthwiseConv2D")
                    and consumers[_inbound(l)[0]] == [name] and _inbound(l)[0] not in outputs
                    and self.mods[src[0]].act == "linear"):
                # Conv followed only by BN: fold BN into the conv (fewer passes over activations).
                self.mods[src[0]].fold_bn(*_bn_affine(l, weights))
                self.alias[name] = src[0]
                continue
            self.mods[name] = _Keras(l, weights)
            self.order.append(name)
            self.inputs[name] = src

    def forward(self, x):
        vals = {self.input_name: x}
        last_use = {}
        for i, n in enumerate(self.order):
            for s in self.inputs[n]:
                last_use[s] = i
        keep = {self.alias.get(o, o) for o in self.outputs}
        for i, n in enumerate(self.order):
            vals[n] = self.mods[n](*[vals[s] for s in self.inputs[n]])
            for s in self.inputs[n]:
                if last_use[s] == i and s not in keep:
                    del vals[s]  # frees activations early (matters for backward-free eval)
        return {o: vals[self.alias.get(o, o)] for o in self.outputs}


LOSS_LAYERS = ["Conv1_relu", "block_1_expand_relu", "block_3_expand_relu",
               "block_6_expand_relu", "block_13_expand_relu"]


def load_mobilenet_v2(outputs=LOSS_LAYERS, cache=None, fold_bn=True):
    """The frozen MobileNetV2 feature extractor (eval mode, no parameter gradients)."""
    conv = load_converted(cache)
    net = KerasGraph(conv["layers"], conv["weights"], outputs, fold_bn=fold_bn).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def _load_rgb(path, size):
    from PIL import Image
    im = Image.open(path).convert("RGB")
    w, h = im.size
    s = min(w, h)  # centre square, so nothing depends on nsfwjs's own resize
    im = im.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
    return np.asarray(im.resize((size, size), Image.BICUBIC), dtype=np.uint8).copy()


def verify(image, cache=None, endpoints=LOSS_LAYERS):
    """Classifies `image` with nsfwjs in Node and with the converted net; returns max differences."""
    import tempfile
    root = ensure_nsfwjs(cache)
    rgb = _load_rgb(image, 224)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "in.rgb")
        rgb.tofile(raw)
        subprocess.run(["node", os.path.join(HERE, "nsfwjs_check.mjs"), root, raw, "224", "224",
                        os.path.join(tmp, "out"), *endpoints], check=True)
        ref = json.load(open(os.path.join(tmp, "out.json")))
        ref_feats = {e: np.fromfile(os.path.join(tmp, f"out.{e}.f32"), np.float32).reshape(ref["shapes"][e])
                     for e in endpoints}
    conv = load_converted(cache)
    head = conv["layers"][-1]["name"]
    net = load_mobilenet_v2(list(endpoints) + [head], cache).double()
    with torch.no_grad():
        out = net(torch.from_numpy(rgb).permute(2, 0, 1)[None].double() / 255)
    probs = out[head][0].numpy()
    result = {"classes": ref["classes"], "nsfwjs": ref["probs"], "torch": probs.tolist(),
              "max_abs_prob_diff": float(np.abs(probs - np.array(ref["probs"])).max()), "endpoints": {}}
    for e in endpoints:
        mine = out[e][0].permute(1, 2, 0).numpy()  # NHWC like tfjs
        theirs = ref_feats[e][0]
        assert mine.shape == theirs.shape, (e, mine.shape, theirs.shape)
        result["endpoints"][e] = {"shape": list(theirs.shape), "max_abs": float(np.abs(theirs).max()),
                                  "max_abs_diff": float(np.abs(mine - theirs).max())}
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", help="cache folder (default $INSTYLE_CACHE or ~/.cache/instyle)")
    ap.add_argument("--verify", metavar="IMAGE", help="compare with nsfwjs run by tfjs in Node")
    ap.add_argument("--force", action="store_true", help="convert again even if cached")
    a = ap.parse_args()
    if a.force and os.path.exists(converted_path(a.cache)):
        os.remove(converted_path(a.cache))
    conv = load_converted(a.cache)
    n = sum(v.numel() for v in conv["weights"].values())
    print(f"{converted_path(a.cache)}: {len(conv['layers'])} layers, {n} weights")
    if a.verify:
        r = verify(a.verify, a.cache)
        for c, p, q in zip(r["classes"], r["nsfwjs"], r["torch"]):
            print(f"  {c:>8}: nsfwjs {p:.6f}  torch {q:.6f}")
        print(f"  max abs difference of the class probabilities: {r['max_abs_prob_diff']:.2e}")
        for e, v in r["endpoints"].items():
            print(f"  {e:>21} {tuple(v['shape'])}: max abs diff {v['max_abs_diff']:.2e} (max |value| {v['max_abs']:.2f})")
        worst = max([r["max_abs_prob_diff"]] + [v["max_abs_diff"] / max(v["max_abs"], 1e-9)
                                                for v in r["endpoints"].values()])
        if r["max_abs_prob_diff"] > 1e-4 or worst > 1e-3:
            sys.exit("converted network disagrees with nsfwjs")
        print("OK: converted MobileNetV2 matches nsfwjs")


if __name__ == "__main__":
    main()
