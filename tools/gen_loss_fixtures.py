#!/usr/bin/env python3
"""Generate golden PyTorch numbers for recur's losses and non-recurrent ops.

Run by hand (CI never runs this); the output is committed:

    /tmp/torch2/bin/python tools/gen_loss_fixtures.py            # writes test/fixtures/losses.json
    /tmp/torch2/bin/python tools/gen_loss_fixtures.py --stdout   # prints it instead

Everything is float64. Each case holds its inputs, options (recur's camelCase names), the
forward output and, where listed, gradients. For ops (conv1d, embedding, gather, indexSelect)
the gradients are of L = sum(out * upstream); for scalar losses of the loss itself.
Masked / weighted means follow recur's rule sum(m*w*l) / sum(m*w*d), computed here from
PyTorch's reduction='none' output so that the elementwise losses are PyTorch's own.
Read by test/ops-extra.gradcheck.test.ts.
"""

from __future__ import annotations

import argparse
import json
import os
import warnings

import torch
import torch.nn.functional as F

torch.manual_seed(1234)
warnings.filterwarnings("ignore", message="Using padding='same'")
D = torch.float64


def enc(t):
    if isinstance(t, torch.Tensor):
        t = t.detach()
        return {"shape": list(t.shape), "data": [float(f"{v:.12g}") for v in t.reshape(-1).tolist()]}
    return t


def rand(*shape, lo=-2.0, hi=2.0, grad=True):
    return (torch.rand(*shape, dtype=D) * (hi - lo) + lo).requires_grad_(grad)


def case(out, inputs, opts=None, grads=None, upstream=None):
    """Backpropagate and package one case. grads: names in `inputs` to record."""
    if grads:
        (out * upstream).sum().backward() if upstream is not None else out.backward()
    c = {"inputs": {k: enc(v) for k, v in inputs.items()}, "opts": {k: enc(v) for k, v in (opts or {}).items()}, "out": enc(out)}
    if upstream is not None:
        c["upstream"] = enc(upstream)
    if grads:
        c["grads"] = {k: enc(inputs[k].grad) for k in grads}
    return c


def masked_mean(l, mask, weight=None, den=None):
    mw = mask if weight is None else mask * weight
    d = torch.ones_like(l) if den is None else den
    return (l * mw).sum() / (mw * d).sum()


def build():
    cases = {}
    # Pointwise regression losses.
    x, t = rand(3, 4), rand(3, 4)
    for red in ("mean", "sum", "none"):
        cases[f"mse_{red}"] = case(F.mse_loss(x, t, reduction=red), {"input": x, "target": t}, {"reduction": red})
    x, t = rand(3, 4), rand(3, 4)
    cases["l1_mean"] = case(F.l1_loss(x, t), {"input": x, "target": t}, {}, ["input", "target"])
    x, t = rand(3, 4), rand(3, 4)
    cases["huber_mean"] = case(F.huber_loss(x, t, delta=0.7), {"input": x, "target": t}, {"delta": 0.7}, ["input"])
    cases["huber_none"] = case(F.huber_loss(x.detach(), t.detach(), delta=1.3, reduction="none"),
                               {"input": x, "target": t}, {"delta": 1.3, "reduction": "none"})
    # Masked and weighted mse over (T, B, F) = (4, 2, 3) with a (T, B, 1) mask.
    x, t = rand(4, 2, 3), rand(4, 2, 3)
    m = torch.tensor([[1, 1], [1, 0], [1, 0], [0, 0]], dtype=D).unsqueeze(-1)
    w = rand(1, 1, 3, lo=0.5, hi=2.0, grad=False)
    out = masked_mean(F.mse_loss(x, t, reduction="none"), m, w)
    cases["mse_masked_weighted"] = case(out, {"input": x, "target": t, "mask": m, "weight": w}, {}, ["input"])

    # Cross entropy: classWeight + ignoreIndex + labelSmoothing, (N, C) and (N, C, d).
    z = rand(6, 4, lo=-3, hi=3)
    y = torch.tensor([0, 3, 1, 2, 1, 3])
    cw = rand(4, lo=0.3, hi=2.0, grad=False)
    for red in ("mean", "sum", "none"):
        zz = z.detach().clone().requires_grad_(True)
        o = {"classWeight": cw, "ignoreIndex": 1, "labelSmoothing": 0.15, "reduction": red}
        out = F.cross_entropy(zz, y, weight=cw, ignore_index=1, label_smoothing=0.15, reduction=red)
        cases[f"ce_{red}"] = case(out, {"logits": zz, "target": y}, o, ["logits"] if red == "mean" else None)
    z = rand(2, 3, 4, lo=-3, hi=3)
    y = torch.tensor([[0, 2, -100, 1], [2, 2, 0, -100]])
    cw = rand(3, lo=0.3, hi=2.0, grad=False)
    out = F.cross_entropy(z, y, weight=cw)
    cases["ce_kdim"] = case(out, {"logits": z, "target": y}, {"classWeight": cw}, ["logits"])
    z = rand(5, 3, lo=-3, hi=3)
    y = torch.tensor([2, 0, 1, 1, 0])
    cases["ce_plain_smooth"] = case(F.cross_entropy(z, y, label_smoothing=0.2), {"logits": z, "target": y},
                                    {"labelSmoothing": 0.2}, ["logits"])

    # Binary cross entropy.
    x = rand(3, 4, lo=-4, hi=4)
    t = rand(3, 4, lo=0, hi=1)
    pw = rand(4, lo=0.5, hi=3.0, grad=False)
    cases["bcel_pos_mean"] = case(F.binary_cross_entropy_with_logits(x, t, pos_weight=pw),
                                  {"logits": x, "target": t, "posWeight": pw}, {}, ["logits", "target"])
    t = t.detach()
    x2 = x.detach().clone().requires_grad_(True)
    wt = rand(3, 1, lo=0.2, hi=2.0, grad=False)
    cases["bcel_weight_sum"] = case(F.binary_cross_entropy_with_logits(x2, t, weight=wt, reduction="sum"),
                                    {"logits": x2, "target": t, "weight": wt}, {"reduction": "sum"}, ["logits"])
    p = torch.tensor([[0.0, 0.3, 1.0, 0.9], [0.5, 0.01, 0.99, 0.2]], dtype=D, requires_grad=True)
    t = torch.tensor([[1.0, 0.0, 0.0, 1.0], [0.5, 0.2, 1.0, 0.0]], dtype=D)
    cases["bce_sum"] = case(F.binary_cross_entropy(p, t, reduction="sum"), {"input": p, "target": t},
                            {"reduction": "sum"})
    p2 = torch.tensor([[0.2, 0.3, 0.7, 0.9], [0.5, 0.01, 0.99, 0.2]], dtype=D, requires_grad=True)
    t2 = t.clone().requires_grad_(True)
    cases["bce_mean"] = case(F.binary_cross_entropy(p2, t2), {"input": p2, "target": t2}, {}, ["input", "target"])

    # Poisson and Gaussian NLL.
    x = rand(3, 4, lo=-1, hi=1.5)
    t = torch.tensor([[0.0, 1.0, 2.0, 5.0], [3.0, 0.0, 1.0, 7.0], [1.5, 4.0, 0.0, 2.0]], dtype=D)
    t.requires_grad_(True)
    cases["poisson_log_mean"] = case(F.poisson_nll_loss(x, t), {"input": x, "target": t}, {}, ["input", "target"])
    t = t.detach().clone().requires_grad_(True)
    lam = rand(3, 4, lo=0.1, hi=3.0)
    cases["poisson_full_sum"] = case(F.poisson_nll_loss(lam, t, log_input=False, full=True, reduction="sum"),
                                     {"input": lam, "target": t}, {"logInput": False, "full": True, "reduction": "sum"}, ["input"])
    # (No target gradient here: PyTorch's is NaN where t = 0, from 0·log 0 inside the masked Stirling term.)
    mu, t = rand(4, 3), rand(4, 3, grad=False)
    var = rand(4, 3, lo=0.2, hi=2.0)
    with torch.no_grad():
        var[0, 1] = 1e-8  # below eps: clamped, gradient passes straight through
    cases["gauss_full_mean"] = case(F.gaussian_nll_loss(mu, t, var, full=True), {"mean": mu, "target": t, "var": var},
                                    {"full": True}, ["mean", "var"])
    mu2 = mu.detach().clone().requires_grad_(True)
    v1 = rand(4, lo=0.2, hi=2.0)
    cases["gauss_homo_sum"] = case(F.gaussian_nll_loss(mu2, t, v1, reduction="sum"), {"mean": mu2, "target": t, "var": v1},
                                   {"reduction": "sum"}, ["mean", "var"])

    # conv1d: groups + stride + dilation + padding + bias, and 'same' with an even kernel.
    x, w, b = rand(2, 4, 9), rand(6, 2, 3), rand(6)
    o = {"stride": 2, "padding": 1, "dilation": 2, "groups": 2}
    out = F.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2)
    cases["conv1d_groups"] = case(out, {"x": x, "weight": w, "bias": b}, o, ["x", "weight", "bias"], rand(*out.shape, grad=False))
    x, w = rand(1, 3, 7), rand(2, 3, 4)
    out = F.conv1d(x, w, None, padding="same")
    cases["conv1d_same"] = case(out, {"x": x, "weight": w}, {"padding": "same"}, ["x", "weight"], rand(*out.shape, grad=False))

    # Indexing.
    wt = rand(6, 3)
    idx = torch.tensor([[0, 2, 5], [2, 0, 1]])
    out = F.embedding(idx, wt, padding_idx=0)
    cases["embedding_pad"] = case(out, {"weight": wt, "indices": idx}, {"paddingIdx": 0}, ["weight"], rand(2, 3, 3, grad=False))
    x = rand(3, 4)
    gi = torch.tensor([[0, 3, 3], [1, 1, 0]])
    out = torch.gather(x, 1, gi)
    cases["gather_axis1"] = case(out, {"x": x, "index": gi}, {"axis": 1}, ["x"], rand(2, 3, grad=False))
    x = rand(3, 4, 2)
    si = torch.tensor([3, 0, 3])
    out = torch.index_select(x, 1, si)
    cases["index_select_axis1"] = case(out, {"x": x, "indices": si}, {"axis": 1}, ["x"], rand(3, 3, 2, grad=False))
    return {"torch": torch.__version__, "dtype": "float64", "cases": cases}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stdout", action="store_true")
    args = ap.parse_args()
    data = build()
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    if args.stdout:
        print(text)
        return
    path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "losses.json")
    with open(path, "w") as f:
        f.write(text + "\n")
    print(f"wrote {os.path.normpath(path)} ({len(text)} bytes, {len(data['cases'])} cases)")


if __name__ == "__main__":
    main()
