#!/usr/bin/env python3
"""Generate golden PyTorch fixtures for recur's recurrent layers.

Run by hand (CI never runs this):

    /tmp/torch2/bin/python tools/gen_fixtures.py            # generate + verify
    /tmp/torch2/bin/python tools/gen_fixtures.py --verify   # verify existing files only

Writes one .safetensors file per configuration into test/fixtures/recurrent/,
plus INDEX.json.  The safetensors format is written by hand (no dependency on
the `safetensors` package):

    u64 little-endian N | N bytes of JSON header (space padded to a multiple of 8)
    | raw little-endian tensor data, tensors sorted by name, contiguous, no holes.

Tensor names in each file:
    param.<state_dict key>      every module parameter (weight_ih_l0, ..., _reverse)
    input.x                     (B,T,I) if batch_first else (T,B,I)
    input.h0                    (L*D, B, Hout)      only if has_init
    input.c0                    (L*D, B, H)         only if has_init and LSTM
    input.lengths               (B,) I64            only if has_lengths
    upstream.output / upstream.h_n / upstream.c_n (LSTM)
    out.output / out.h_n / out.c_n (LSTM)
    grad.<state_dict key>, grad.x, grad.h0 / grad.c0 (only if has_init)

Loss: L = sum(out.output*upstream.output) + sum(out.h_n*upstream.h_n)
          [+ sum(out.c_n*upstream.c_n)]
For variable lengths, out.output is pad_packed_sequence(total_length=T) output
(zeros at padded steps) and h_n/c_n are per-sequence final states in the
original (unsorted) batch order.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "recurrent")

T, B, I, H, P = 5, 3, 4, 5, 3
VAR_LENGTHS = [5, 2, 4]  # unsorted on purpose

CELLS = ["rnn_tanh", "rnn_relu", "lstm", "lstm_proj", "gru"]
MODES = {"rnn_tanh": "RNN_TANH", "rnn_relu": "RNN_RELU", "lstm": "LSTM", "lstm_proj": "LSTM", "gru": "GRU"}

# --------------------------------------------------------------------------
# safetensors writer / reader (minimal, self-contained)
# --------------------------------------------------------------------------

_DTYPES = {np.dtype("<f4"): "F32", np.dtype("<i8"): "I64"}
_NP_DTYPES = {"F32": np.dtype("<f4"), "I64": np.dtype("<i8")}


def _to_numpy(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu()
        if t.dtype == torch.float32:
            return t.contiguous().numpy().astype("<f4", copy=False)
        if t.dtype == torch.int64:
            return t.contiguous().numpy().astype("<i8", copy=False)
        raise TypeError(f"unsupported dtype {t.dtype}")
    return np.ascontiguousarray(t)


def write_safetensors(path: str, tensors: dict, metadata: dict[str, str]) -> None:
    header: dict = {}
    chunks: list[bytes] = []
    offset = 0
    for name in sorted(tensors):
        arr = _to_numpy(tensors[name])
        dt = _DTYPES[arr.dtype]
        data = arr.tobytes(order="C")
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for c in chunks:
            f.write(c)


def read_safetensors(path: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0, "header length not a multiple of 8"
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    data = raw[8 + n :]
    meta = header.pop("__metadata__", {})
    out: dict[str, np.ndarray] = {}
    spans = []
    for name, info in header.items():
        b, e = info["data_offsets"]
        dt = _NP_DTYPES[info["dtype"]]
        shape = tuple(info["shape"])
        assert e - b == int(np.prod(shape, dtype=np.int64)) * dt.itemsize, name
        out[name] = np.frombuffer(data[b:e], dtype=dt).reshape(shape)
        spans.append((b, e, name))
    spans.sort()
    pos = 0
    for b, e, name in spans:
        assert b == pos, f"hole/overlap before {name}"
        pos = e
    assert pos == len(data), "trailing bytes"
    assert [s[2] for s in spans] == sorted(header), "tensors not stored in name order"
    return out, meta


# --------------------------------------------------------------------------
# configurations
# --------------------------------------------------------------------------


def make_config(cell, num_layers, bidirectional, batch_first, has_lengths, has_init, *,
                bias=True, t=T, b=B, i=I, h=H, name=None):
    proj = P if cell == "lstm_proj" else 0
    if name is None:
        name = (f"{cell}_L{num_layers}_bi{int(bidirectional)}_bf{int(batch_first)}"
                f"_len{int(has_lengths)}_init{int(has_init)}")
    return {
        "name": name,
        "cell": cell,
        "mode": MODES[cell],
        "num_layers": num_layers,
        "bidirectional": bool(bidirectional),
        "batch_first": bool(batch_first),
        "proj_size": proj,
        "input_size": i,
        "hidden_size": h,
        "T": t,
        "B": b,
        "has_lengths": bool(has_lengths),
        "has_init": bool(has_init),
        "bias": bool(bias),
        "lengths": list(VAR_LENGTHS) if has_lengths else None,
        "torch_version": torch.__version__,
    }


def all_configs():
    cfgs = []
    for cell, L, bi, bf, ln, ini in itertools.product(CELLS, [1, 2], [0, 1], [0, 1], [0, 1], [0, 1]):
        cfgs.append(make_config(cell, L, bi, bf, ln, ini))
    for cell in ["lstm", "gru", "rnn_tanh"]:
        cfgs.append(make_config(cell, 1, 1, 0, 1, 1, bias=False, name=f"{cell}_nobias"))
    cfgs.append(make_config("lstm", 1, 0, 0, 0, 1, t=1, b=1, i=1, h=1, name="lstm_T1_B1_H1"))
    return cfgs


def seed_for(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "little") & 0x7FFFFFFF


def build_module(cfg) -> nn.Module:
    common = dict(input_size=cfg["input_size"], hidden_size=cfg["hidden_size"], num_layers=cfg["num_layers"],
                  bias=cfg["bias"], batch_first=cfg["batch_first"], dropout=0.0,
                  bidirectional=cfg["bidirectional"])
    mode = cfg["mode"]
    if mode == "RNN_TANH":
        return nn.RNN(nonlinearity="tanh", **common)
    if mode == "RNN_RELU":
        return nn.RNN(nonlinearity="relu", **common)
    if mode == "LSTM":
        return nn.LSTM(proj_size=cfg["proj_size"], **common)
    if mode == "GRU":
        return nn.GRU(**common)
    raise ValueError(mode)


# --------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------


def generate(cfg) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed_for(cfg["name"]))
    mod = build_module(cfg)
    mod.train()  # dropout=0, so identical to eval
    is_lstm = cfg["mode"] == "LSTM"
    t, b, i, h = cfg["T"], cfg["B"], cfg["input_size"], cfg["hidden_size"]
    D = 2 if cfg["bidirectional"] else 1
    L = cfg["num_layers"]
    hout = cfg["proj_size"] or h

    xshape = (b, t, i) if cfg["batch_first"] else (t, b, i)
    x = torch.randn(xshape, requires_grad=True)
    h0 = c0 = None
    if cfg["has_init"]:
        h0 = torch.randn(L * D, b, hout, requires_grad=True)
        if is_lstm:
            c0 = torch.randn(L * D, b, h, requires_grad=True)
    lengths = torch.tensor(cfg["lengths"], dtype=torch.int64) if cfg["has_lengths"] else None

    oshape = (b, t, D * hout) if cfg["batch_first"] else (t, b, D * hout)
    up_out = torch.randn(oshape)
    up_h = torch.randn(L * D, b, hout)
    up_c = torch.randn(L * D, b, h) if is_lstm else None

    inp = x
    if lengths is not None:
        inp = pack_padded_sequence(x, lengths, batch_first=cfg["batch_first"], enforce_sorted=False)
    state = None
    if h0 is not None:
        state = (h0, c0) if is_lstm else h0
    res, st = mod(inp, state) if state is not None else mod(inp)
    if lengths is not None:
        res, _ = pad_packed_sequence(res, batch_first=cfg["batch_first"], total_length=t)
    if is_lstm:
        h_n, c_n = st
    else:
        h_n, c_n = st, None
    assert tuple(res.shape) == oshape, (res.shape, oshape)

    loss = (res * up_out).sum() + (h_n * up_h).sum()
    if is_lstm:
        loss = loss + (c_n * up_c).sum()
    mod.zero_grad()
    loss.backward()

    tensors: dict[str, torch.Tensor] = {}
    sd = mod.state_dict()
    names = [n for n, _ in mod.named_parameters()]
    assert sorted(names) == sorted(sd.keys()), (names, list(sd.keys()))
    for n, p in mod.named_parameters():
        tensors[f"param.{n}"] = p.detach().clone()
        tensors[f"grad.{n}"] = p.grad.detach().clone()
    tensors["input.x"] = x.detach()
    tensors["grad.x"] = x.grad.detach()
    if h0 is not None:
        tensors["input.h0"] = h0.detach()
        tensors["grad.h0"] = h0.grad.detach()
        if is_lstm:
            tensors["input.c0"] = c0.detach()
            tensors["grad.c0"] = c0.grad.detach()
    if lengths is not None:
        tensors["input.lengths"] = lengths
    tensors["upstream.output"] = up_out
    tensors["upstream.h_n"] = up_h
    tensors["out.output"] = res.detach()
    tensors["out.h_n"] = h_n.detach()
    if is_lstm:
        tensors["upstream.c_n"] = up_c
        tensors["out.c_n"] = c_n.detach()
    return tensors


def public_config(cfg) -> dict:
    c = dict(cfg)
    c.pop("name")
    c["seed"] = seed_for(cfg["name"])
    return c


# --------------------------------------------------------------------------
# independent reference (manual step loop) used for verification
# --------------------------------------------------------------------------


def manual_forward(cfg, params, x, h0, c0, lengths):
    """Step-by-step reference. Works in (T,B,*) layout. Returns output, h_n, c_n."""
    mode = cfg["mode"]
    t, b = cfg["T"], cfg["B"]
    h = cfg["hidden_size"]
    hout = cfg["proj_size"] or h
    L = cfg["num_layers"]
    D = 2 if cfg["bidirectional"] else 1
    if cfg["batch_first"]:
        x = x.transpose(0, 1)
    lens = lengths if lengths is not None else torch.full((b,), t, dtype=torch.int64)
    mask = (torch.arange(t).unsqueeze(1) < lens.unsqueeze(0)).unsqueeze(2).float()  # (T,B,1)

    def lin(v, w, bias):
        y = v @ w.t()
        return y + bias if bias is not None else y

    layer_in = x
    hs, cs = [], []
    for l in range(L):
        outs = []
        for d in range(D):
            sfx = f"_l{l}" + ("_reverse" if d == 1 else "")
            w_ih, w_hh = params["weight_ih" + sfx], params["weight_hh" + sfx]
            b_ih, b_hh = params.get("bias_ih" + sfx), params.get("bias_hh" + sfx)
            w_hr = params.get("weight_hr" + sfx)
            k = l * D + d
            hh = h0[k] if h0 is not None else torch.zeros(b, hout)
            cc = None
            if mode == "LSTM":
                cc = c0[k] if c0 is not None else torch.zeros(b, h)
            steps = range(t) if d == 0 else range(t - 1, -1, -1)
            ys = [None] * t
            for s in steps:
                xt = layer_in[s]
                m = mask[s]
                gi = lin(xt, w_ih, b_ih)
                gh = lin(hh, w_hh, b_hh)
                if mode == "RNN_TANH":
                    hn, cn = torch.tanh(gi + gh), None
                elif mode == "RNN_RELU":
                    hn, cn = torch.relu(gi + gh), None
                elif mode == "LSTM":
                    g = gi + gh
                    ig, fg, gg, og = g.chunk(4, 1)
                    cn = torch.sigmoid(fg) * cc + torch.sigmoid(ig) * torch.tanh(gg)
                    hn = torch.sigmoid(og) * torch.tanh(cn)
                    if w_hr is not None:
                        hn = hn @ w_hr.t()
                elif mode == "GRU":
                    ir, iz, inn = gi.chunk(3, 1)
                    hr, hz, hnn = gh.chunk(3, 1)
                    r = torch.sigmoid(ir + hr)
                    z = torch.sigmoid(iz + hz)
                    n = torch.tanh(inn + r * hnn)
                    hn, cn = (1 - z) * n + z * hh, None
                else:
                    raise ValueError(mode)
                hh = m * hn + (1 - m) * hh
                if cc is not None:
                    cc = m * cn + (1 - m) * cc
                ys[s] = m * hn
            outs.append(torch.stack(ys, 0))
            hs.append(hh)
            if cc is not None:
                cs.append(cc)
        layer_in = torch.cat(outs, 2)
    out = layer_in
    if cfg["batch_first"]:
        out = out.transpose(0, 1)
    return out, torch.stack(hs, 0), (torch.stack(cs, 0) if cs else None)


def verify_file(cfg, path, atol=2e-5, rtol=1e-4, regen=True):
    data, meta = read_safetensors(path)
    mcfg = json.loads(meta["config"])
    same_torch = mcfg.get("torch_version") == torch.__version__
    strip = lambda c: {k: v for k, v in c.items() if k != "torch_version"}  # noqa: E731
    assert strip(mcfg) == strip(public_config(cfg)), (mcfg, public_config(cfg))
    is_lstm = cfg["mode"] == "LSTM"

    # 1. reader round trip: regenerate and compare bit-exactly (same torch only)
    if regen and same_torch:
        ref = generate(cfg)
        assert sorted(ref) == sorted(data), (sorted(ref), sorted(data))
        for k, v in ref.items():
            a = _to_numpy(v)
            assert a.dtype == data[k].dtype and a.shape == data[k].shape, k
            assert np.array_equal(a, data[k]), f"{k} differs after read-back"

    # exact key set
    mod = build_module(cfg)
    keys = list(mod.state_dict().keys())
    expect = {f"param.{k}" for k in keys} | {f"grad.{k}" for k in keys}
    expect |= {"input.x", "grad.x", "upstream.output", "upstream.h_n", "out.output", "out.h_n"}
    if is_lstm:
        expect |= {"upstream.c_n", "out.c_n"}
    if cfg["has_init"]:
        expect |= {"input.h0", "grad.h0"} | ({"input.c0", "grad.c0"} if is_lstm else set())
    if cfg["has_lengths"]:
        expect |= {"input.lengths"}
    assert set(data) == expect, (set(data) ^ expect)

    # 2. independent recomputation via the manual step loop (forward + autograd)
    tt = lambda k, g=False: torch.tensor(np.array(data[k]), requires_grad=g)  # noqa: E731
    params = {k: tt("param." + k, True) for k in keys}
    x = tt("input.x", True)
    h0 = tt("input.h0", True) if cfg["has_init"] else None
    c0 = tt("input.c0", True) if cfg["has_init"] and is_lstm else None
    lengths = tt("input.lengths") if cfg["has_lengths"] else None
    out, h_n, c_n = manual_forward(cfg, params, x, h0, c0, lengths)
    loss = (out * tt("upstream.output")).sum() + (h_n * tt("upstream.h_n")).sum()
    if is_lstm:
        loss = loss + (c_n * tt("upstream.c_n")).sum()
    loss.backward()

    def close(name, got):
        exp = data[name]
        g = got.detach().numpy()
        assert g.shape == exp.shape, (name, g.shape, exp.shape)
        if not np.allclose(g, exp, atol=atol, rtol=rtol):
            raise AssertionError(f"{cfg['name']}: {name} max abs diff {np.abs(g - exp).max()}")

    close("out.output", out)
    close("out.h_n", h_n)
    if is_lstm:
        close("out.c_n", c_n)
    for k in keys:
        close("grad." + k, params[k].grad)
    close("grad.x", x.grad)
    if h0 is not None:
        close("grad.h0", h0.grad)
    if c0 is not None:
        close("grad.c0", c0.grad)

    # 3. explicit semantic checks on the last layer's h_n vs the output
    hout = cfg["proj_size"] or cfg["hidden_size"]
    D = 2 if cfg["bidirectional"] else 1
    L = cfg["num_layers"]
    o = data["out.output"]
    if cfg["batch_first"]:
        o = o.transpose(1, 0, 2)
    lens = data["input.lengths"] if cfg["has_lengths"] else [cfg["T"]] * cfg["B"]
    for bi, ln in enumerate(lens):
        ln = int(ln)
        # forward dir: h_n = output at last real step
        assert np.array_equal(data["out.h_n"][(L - 1) * D, bi], o[ln - 1, bi, :hout])
        if D == 2:
            # reverse dir: h_n = state after reading step 0 = output at step 0
            assert np.array_equal(data["out.h_n"][(L - 1) * D + 1, bi], o[0, bi, hout:])
        # padded steps are exactly zero
        assert not o[ln:, bi].any()
        assert not data["grad.x"][(bi, slice(ln, None)) if cfg["batch_first"] else (slice(ln, None), bi)].any()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verify", action="store_true", help="only verify existing fixtures")
    ap.add_argument("--out", default=OUT_DIR)
    args = ap.parse_args()

    torch.set_default_dtype(torch.float32)
    cfgs = all_configs()
    names = [c["name"] for c in cfgs]
    assert len(set(names)) == len(names)
    os.makedirs(args.out, exist_ok=True)

    if not args.verify:
        for stale in os.listdir(args.out):
            if stale.endswith(".safetensors") and stale[: -len(".safetensors")] not in names:
                os.remove(os.path.join(args.out, stale))
        index = []
        for cfg in cfgs:
            tensors = generate(cfg)
            pc = public_config(cfg)
            fname = cfg["name"] + ".safetensors"
            write_safetensors(os.path.join(args.out, fname), tensors, {"config": json.dumps(pc)})
            index.append({"file": fname, "config": pc})
        with open(os.path.join(args.out, "INDEX.json"), "w") as f:
            # one entry per line: compact but diff-friendly
            f.write('{"generator": "tools/gen_fixtures.py", "torch_version": %s, "count": %d, "files": [\n'
                    % (json.dumps(torch.__version__), len(index)))
            f.write(",\n".join(json.dumps(e) for e in index))
            f.write("\n]}\n")

    total = 0
    for cfg in cfgs:
        path = os.path.join(args.out, cfg["name"] + ".safetensors")
        verify_file(cfg, path)
        total += os.path.getsize(path)
    print(f"{len(cfgs)} fixtures OK in {args.out} ({total} bytes, torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
