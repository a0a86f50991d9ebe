"""Post-processing and checking of exported style networks, so that the shipped ONNX files hold
only the ops instyle's runner needs and are verified before they leave this folder.

    simplify("raw.onnx", "model.onnx", weights="fp32")  # fold constant subgraphs, drop Identity;
                                                        # weights "fp16" or "int8" to ship smaller
    run(onnx.load("model.onnx"), x)                 # small interpreter: NCHW float32 in, out
    /usr/bin/python3 onnx_tools.py model.onnx       # opset, ops, parameters, size

torch.onnx.export (1.13) at opsets 11+ writes reflection pads through a constant subgraph
(ConstantOfShape, Concat, Slice, Transpose, Cast, Reshape); folding it here gives Pad a plain
initializer, so any runner reads the file without a constant folder.

Smaller weights: "fp16" stores every float tensor as float16 behind a Cast; "int8" also stores
each large convolution kernel as int8 with one scale per output channel behind a
DequantizeLinear (opset 13), half the bytes of fp16. A style network takes it well: almost every
conv feeds an InstanceNormalization, which removes a channel's scale error, so what is left is
rounding noise. The first and last convolutions (the pixels in and out; small) stay float16.
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

ALLOWED = {"Pad", "Conv", "InstanceNormalization", "Relu", "Add", "Resize", "Upsample", "Cast", "AveragePool",
           "DequantizeLinear"}
WEIGHTS = ("fp32", "fp16", "int8")
INT8_MIN_SIZE = 20000  # kernels smaller than this (the first and last convs) stay float16
INT8_OPSET = 13  # DequantizeLinear with one scale per channel (axis)


def quantize_int8(arr):
    """Symmetric int8, one scale per slice along axis 0 (a conv's output channels): the int8
    values and the scales, so that q * scale ~ arr."""
    flat = arr.reshape(arr.shape[0], -1).astype(np.float64)
    scale = np.abs(flat).max(axis=1) / 127
    scale[scale == 0] = 1.0  # an all-zero channel: any scale gives zeros
    q = np.clip(np.rint(flat / scale[:, None]), -127, 127).astype(np.int8)
    return q.reshape(arr.shape), scale.astype(np.float32)


def _np_dtype(onnx_type):
    # onnx 1.12 (Debian bookworm) predates helper.tensor_dtype_to_np_dtype
    from onnx.mapping import TENSOR_TYPE_TO_NP_TYPE
    return TENSOR_TYPE_TO_NP_TYPE[onnx_type]


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _fold(node, ins):
    """Evaluates one node whose inputs are all constant; None when it is not a folding op."""
    op, at = node.op_type, _attrs(node)
    if op == "Constant":
        return numpy_helper.to_array(at["value"])
    if op == "Identity":
        return ins[0]
    if op == "ConstantOfShape":
        v = numpy_helper.to_array(at["value"]) if "value" in at else np.zeros(1, np.float32)
        return np.full(tuple(int(d) for d in ins[0]), v.reshape(-1)[0], dtype=v.dtype)
    if op == "Concat":
        return np.concatenate(ins, axis=at["axis"])
    if op == "Reshape":
        shape = [ins[0].shape[i] if d == 0 else d for i, d in enumerate(ins[1].tolist())]
        return ins[0].reshape(shape)
    if op == "Transpose":
        return np.transpose(ins[0], at.get("perm"))
    if op == "Cast":
        return ins[0].astype(_np_dtype(at["to"]))
    if op == "Slice":
        data, starts, ends = ins[0], ins[1], ins[2]
        axes = ins[3] if len(ins) > 3 and ins[3] is not None else np.arange(len(starts))
        steps = ins[4] if len(ins) > 4 and ins[4] is not None else np.ones(len(starts), np.int64)
        sl = [slice(None)] * data.ndim
        for s, e, ax, st in zip(starts, ends, axes, steps):
            n = data.shape[ax]
            s, e = int(s), int(e)
            if st < 0:  # ONNX clamps huge negative ends to "before the first element"
                e = -n - 1 if e < -n else e
                s = min(s, n - 1)
            sl[ax] = slice(s, None if e == -n - 1 else e, int(st))
        return data[tuple(sl)]
    if op == "Unsqueeze":
        axes = at.get("axes", ins[1].tolist() if len(ins) > 1 else None)
        out = ins[0]
        for ax in sorted(axes):
            out = np.expand_dims(out, ax)
        return out
    return None


def simplify(src, dst, weights="fp32"):
    assert weights in WEIGHTS, weights
    m = onnx.load(src)
    g = m.graph
    consts = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    keep = []
    alias = {}  # outputs of dropped no-op nodes -> their input
    for node in g.node:
        for i, n in enumerate(node.input):
            node.input[i] = alias.get(n, n)
        ins = [consts.get(n) if n else None for n in node.input]
        if node.op_type == "Pad" and len(ins) > 1 and ins[1] is not None and not ins[1].any():
            alias[node.output[0]] = node.input[0]  # torch pads AvgPool2d's input by zero pixels
            continue
        folded = None
        if all(i is not None for i, n in zip(ins, node.input) if n):
            folded = _fold(node, ins)
        if folded is not None:
            consts[node.output[0]] = np.asarray(folded)
        else:
            keep.append(node)
    used = {n for node in keep for n in node.input} | {o.name for o in g.output}
    # Names that the kept nodes read as constants become initializers; the rest is dropped.
    inits = []
    for name in sorted(used & set(consts)):
        arr = consts[name]
        if weights == "int8" and arr.dtype == np.float32 and arr.ndim == 4 and arr.size >= INT8_MIN_SIZE:
            q, scale = quantize_int8(arr)
            inits += [numpy_helper.from_array(q, name + "_int8"), numpy_helper.from_array(scale, name + "_scale"),
                      numpy_helper.from_array(np.zeros(len(scale), np.int8), name + "_zero")]
            keep.insert(0, helper.make_node("DequantizeLinear", [name + "_int8", name + "_scale", name + "_zero"],
                                            [name], axis=0))
        elif weights != "fp32" and arr.dtype == np.float32 and arr.size > 64:
            inits.append(numpy_helper.from_array(arr.astype(np.float16), name + "_fp16"))
            keep.insert(0, helper.make_node("Cast", [name + "_fp16"], [name], to=onnx.TensorProto.FLOAT))
        else:
            inits.append(numpy_helper.from_array(arr, name))
    del g.node[:]
    g.node.extend(keep)
    del g.initializer[:]
    g.initializer.extend(inits)
    del g.value_info[:]
    m.producer_name = "instyle scripts/train (torch.onnx.export + onnx_tools.simplify)"
    onnx.checker.check_model(m)
    ops = {n.op_type for n in g.node}
    assert ops <= ALLOWED, f"unexpected ops after folding: {ops - ALLOWED}"
    onnx.save(m, dst)
    return m


def _pad_reflect(x, pads):
    import torch.nn.functional as F
    import torch
    n = x.ndim
    begin, end = pads[:n], pads[n:]
    assert not any(begin[:2]) and not any(end[:2]), pads
    return F.pad(torch.from_numpy(x), (int(begin[3]), int(end[3]), int(begin[2]), int(end[2])),
                 mode="reflect").numpy()


def run(m, x):
    """Reference interpreter for the folded graphs (float32, NCHW); checks the export itself."""
    import torch
    import torch.nn.functional as F
    g = m.graph
    vals = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    vals[g.input[0].name] = x.astype(np.float32)
    for node in g.node:
        at = _attrs(node)
        ins = [vals[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Cast":
            out = ins[0].astype(_np_dtype(at["to"]))
        elif op == "DequantizeLinear":
            axis, shape = at.get("axis", 1), [1] * ins[0].ndim
            shape[axis] = -1
            zero = ins[2].astype(np.int32) if len(ins) > 2 else 0
            out = ((ins[0].astype(np.int32) - np.reshape(zero, shape)) * np.reshape(ins[1], shape)).astype(np.float32)
        elif op == "Pad":
            assert at.get("mode", b"constant") == b"reflect", at
            out = _pad_reflect(ins[0], at["pads"] if "pads" in at else ins[1].tolist())
        elif op == "Conv":
            assert at.get("group", 1) == 1 and not any(at.get("pads", [0])), at
            b = torch.from_numpy(np.array(ins[2])) if len(ins) > 2 else None
            out = F.conv2d(torch.from_numpy(np.array(ins[0])), torch.from_numpy(np.array(ins[1])), b,
                           stride=tuple(at.get("strides", [1, 1]))).numpy()
        elif op == "InstanceNormalization":
            v = ins[0].astype(np.float64)
            mean = v.mean((2, 3), keepdims=True)
            var = ((v - mean) ** 2).mean((2, 3), keepdims=True)
            out = ((v - mean) / np.sqrt(var + at.get("epsilon", 1e-5)) * ins[1].reshape(1, -1, 1, 1)
                   + ins[2].reshape(1, -1, 1, 1)).astype(np.float32)
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "Add":
            out = ins[0] + ins[1]
        elif op == "AveragePool":
            assert not any(at.get("pads", [0])) and at.get("ceil_mode", 0) == 0, at
            k, s = at["kernel_shape"], at.get("strides", [1, 1])
            out = F.avg_pool2d(torch.from_numpy(np.array(ins[0])), tuple(k), tuple(s)).numpy()
        elif op in ("Resize", "Upsample"):
            scales = ins[2] if op == "Resize" else ins[1]
            assert at.get("mode") == b"nearest" and list(scales) == [1, 1, 2, 2], (at, scales)
            out = ins[0].repeat(2, axis=2).repeat(2, axis=3)
        else:
            raise NotImplementedError(op)
        vals[node.output[0]] = out
    return vals[g.output[0].name]


def export_folded(net, path, opset=11, weights="fp32"):
    """torch.onnx.export of a 0..255 RGB network with dynamic height and width, then simplify():
    the folded graph, written to `path` and returned. int8 weights need opset 13 or later."""
    import os
    import torch
    tmp = path + ".tmp"
    with torch.no_grad():
        if weights == "int8":
            opset = max(opset, INT8_OPSET)
        torch.onnx.export(net, torch.rand(1, 3, 64, 64) * 255, tmp, opset_version=opset,
                          input_names=["input"], output_names=["output"], do_constant_folding=True,
                          dynamic_axes={"input": {2: "height", 3: "width"}, "output": {2: "height", 3: "width"}})
    model = simplify(tmp, path, weights=weights)
    os.remove(tmp)
    return model


# How far an exported file may be from PyTorch: the largest error over the largest output, and
# the mean error over it (int8 rounding leaves a few pixels a few levels off, not many).
TOLERANCE = {"fp32": (1e-4, 1e-5), "fp16": (1e-2, 1e-3), "int8": (5e-2, 3e-3)}


def check_against(model, net, path, weights="fp32"):
    """Checks an exported file itself (not just the exporter): this independent interpreter
    against the PyTorch network, at a size other than the traced one, so that dynamic height and
    width are exercised. Raises past the tolerance; returns the relative error."""
    import torch
    x = torch.rand(1, 3, 52, 76) * 255
    with torch.no_grad():
        ref = net(x).numpy()
    diff, top = abs(run(model, x.numpy()) - ref), abs(ref).max()
    err, mean = float(diff.max() / top), float(diff.mean() / top)
    if err > TOLERANCE[weights][0] or mean > TOLERANCE[weights][1]:
        raise RuntimeError(f"{path}: ONNX output differs from PyTorch by {err:.2e} at most, {mean:.2e} "
                           f"on average (relative to the largest output; {weights} weights)")
    print(f"{path}: ONNX matches PyTorch to {err:.1e} at most, {mean:.1e} on average (relative, {weights} weights)")
    return err


def describe(path):
    m = onnx.load(path)
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    params = sum(int(np.prod(i.dims)) for i in m.graph.initializer)
    dtypes = {onnx.TensorProto.DataType.Name(i.data_type) for i in m.graph.initializer}
    import os
    return (f"{path}: opset {m.opset_import[0].version}, {params} parameters ({'/'.join(sorted(dtypes))}), "
            f"{os.path.getsize(path)} bytes, ops {ops}")


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(describe(p))
