#!/usr/bin/env python3
"""Generate golden PyTorch numbers for recur's optimizers, clipping and LR schedules.

Run by hand (CI never runs this):

    /tmp/torch2/bin/python tools/gen_optim_fixtures.py

Writes test/fixtures/optim.json, replayed by test/optim.test.ts.

Setup shared with the test:
  * two parameters, p0 of shape (2, 3) and p1 of shape (4,), initial values INIT below;
  * at optimizer step s = 1..5 the gradient of parameter i, flat element j, is
        g = sin(0.7*s + 1.1*j + i) + 0.1*i
    computed in float64 and then cast to the parameter dtype;
  * a config may list `skip: [[i, s], ...]`: parameter i has grad None at step s
    (PyTorch skips it; its step count does not advance).
  * each optimizer runs once in float64 and once in float32 (single-tensor path,
    foreach=False); `f64[s-1]` / `f32[s-1]` hold the flat values of p0 then p1 after step s.
Clipping uses the step-1 gradients times 3. Schedules drive an SGD with two groups
(lr 0.1 and 0.05); `lrs[0]` is after construction, `lrs[t]` after the t-th `step()`.
"""
import json
import math
import os

import torch

INIT = [[0.5, -0.3, 0.8, -1.2, 0.1, 0.4], [1.0, -0.7, 0.25, -0.05]]
SHAPES = [[2, 3], [4]]
STEPS = 5

OPTIM = [
    ("sgd_plain", "sgd", {"lr": 0.1}, None, None),
    ("sgd_momentum_dampening_wd", "sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weightDecay": 0.01}, None, None),
    ("sgd_nesterov_wd", "sgd", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weightDecay": 0.1}, None, None),
    ("sgd_maximize_skip", "sgd", {"lr": 0.1, "momentum": 0.5, "maximize": True}, None, [[1, 2], [0, 4]]),
    ("adam_default", "adam", {}, None, None),
    ("adam_wd_amsgrad", "adam", {"lr": 0.05, "betas": [0.8, 0.95], "eps": 1e-6, "weightDecay": 0.1, "amsgrad": True}, None, None),
    ("adam_groups_skip", "adam", {"lr": 0.1}, [{}, {"lr": 0.01, "betas": [0.5, 0.9]}], [[1, 2], [1, 3]]),
    ("adamw_default", "adamw", {"lr": 0.05}, None, None),
    ("adamw_amsgrad", "adamw", {"lr": 0.02, "weightDecay": 0.5, "amsgrad": True}, None, None),
    ("rmsprop_default", "rmsprop", {}, None, None),
    ("rmsprop_centered_momentum_wd", "rmsprop",
     {"lr": 0.01, "alpha": 0.9, "eps": 1e-6, "momentum": 0.9, "centered": True, "weightDecay": 0.05}, None, None),
    ("rmsprop_momentum", "rmsprop", {"lr": 0.005, "momentum": 0.5}, None, None),
    ("rmsprop_centered", "rmsprop", {"centered": True}, None, None),
]

CLASSES = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "rmsprop": torch.optim.RMSprop}
SNAKE = {"weightDecay": "weight_decay"}


def torch_opts(o):
    out = {SNAKE.get(k, k): (tuple(v) if k == "betas" else v) for k, v in o.items()}
    return out


def grad_value(i, s, j):
    return math.sin(0.7 * s + 1.1 * j + i) + 0.1 * i


def make_params(dtype):
    return [torch.tensor(v, dtype=torch.float64).reshape(sh).to(dtype).requires_grad_()
            for v, sh in zip(INIT, SHAPES)]


def set_grads(params, s, skip, scale=1.0):
    for i, p in enumerate(params):
        if skip and [i, s] in skip:
            p.grad = None
            continue
        g = torch.tensor([scale * grad_value(i, s, j) for j in range(p.numel())], dtype=torch.float64)
        p.grad = g.reshape(p.shape).to(p.dtype)


def r9(x):
    return float(f"{x:.9g}")


def run_optim(kind, opts, groups, skip, dtype):
    params = make_params(dtype)
    extra = {"foreach": False}
    if groups is None:
        opt = CLASSES[kind](params, **torch_opts(opts), **extra)
    else:
        opt = CLASSES[kind]([dict(params=[p], **torch_opts(g)) for p, g in zip(params, groups)],
                            **torch_opts(opts), **extra)
    out = []
    for s in range(1, STEPS + 1):
        set_grads(params, s, skip)
        opt.step()
        flat = [v for p in params for v in p.detach().reshape(-1).tolist()]
        out.append(flat if dtype == torch.float64 else [r9(v) for v in flat])
    return out


def clip_cases():
    cases = []
    for norm_type, max_norm in [(2.0, 1.0), (float("inf"), 0.5), (2.0, 100.0), (1.0, 2.0)]:
        params = make_params(torch.float64)
        set_grads(params, 1, None, scale=3.0)
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type, foreach=False)
        cases.append({
            "normType": "inf" if math.isinf(norm_type) else norm_type,
            "maxNorm": max_norm,
            "total": total.item(),
            "clipped": [v for p in params for v in p.grad.reshape(-1).tolist()],
        })
    params = make_params(torch.float64)
    set_grads(params, 1, None, scale=3.0)
    torch.nn.utils.clip_grad_value_(params, 0.8, foreach=False)
    value = {"clipValue": 0.8, "clipped": [v for p in params for v in p.grad.reshape(-1).tolist()]}
    return cases, value


def cosine_lambda(base, warmup, total, min_lr):
    def f(t):
        if t < warmup:
            return t / max(1, warmup)
        progress = min(1.0, (t - warmup) / max(1, total - warmup))
        c = 0.5 * (1.0 + math.cos(math.pi * progress))
        return (min_lr + (base - min_lr) * c) / base
    return f


def metrics(n):
    # a loss that improves, plateaus with wiggles, improves again, then plateaus
    return [r9(1.0 / (1.0 + 0.4 * min(t, 8) + 0.1 * max(0, min(t, 20) - 14)) + 0.02 * math.sin(2.3 * t)) for t in range(n)]


SCHEDULES = [
    ("step_lr", {"kind": "step", "stepSize": 7, "gamma": 0.5}),
    ("step_lr_default_gamma", {"kind": "step", "stepSize": 3}),
    ("cosine_warmup_minlr", {"kind": "cosineWithWarmup", "warmupSteps": 5, "totalSteps": 25, "minLr": 0.001}),
    ("cosine_nowarmup", {"kind": "cosineWithWarmup", "warmupSteps": 0, "totalSteps": 20}),
    ("plateau_min_rel", {"kind": "reduceLROnPlateau", "factor": 0.5, "patience": 2, "threshold": 0.05,
                         "cooldown": 2, "minLr": [0.04, 0.0]}),
    ("plateau_max_abs", {"kind": "reduceLROnPlateau", "mode": "max", "thresholdMode": "abs", "threshold": 0.05,
                         "factor": 0.3, "patience": 1, "minLr": 0.002}),
    ("plateau_default", {"kind": "reduceLROnPlateau"}),  # metric floored at 0.3: flat after t=5
]


def run_schedule(cfg, n=30):
    ps = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    opt = torch.optim.SGD([{"params": [ps[0]], "lr": 0.1}, {"params": [ps[1]], "lr": 0.05}])
    k = cfg["kind"]
    ms = None
    if k == "step":
        sch = torch.optim.lr_scheduler.StepLR(opt, step_size=cfg["stepSize"], gamma=cfg.get("gamma", 0.1))
    elif k == "cosineWithWarmup":
        lams = [cosine_lambda(b, cfg["warmupSteps"], cfg["totalSteps"], cfg.get("minLr", 0.0)) for b in (0.1, 0.05)]
        sch = torch.optim.lr_scheduler.LambdaLR(opt, lams)
    else:
        kw = {"mode": cfg.get("mode", "min"), "factor": cfg.get("factor", 0.1), "patience": cfg.get("patience", 10),
              "threshold": cfg.get("threshold", 1e-4), "threshold_mode": cfg.get("thresholdMode", "rel"),
              "cooldown": cfg.get("cooldown", 0), "min_lr": cfg.get("minLr", 0)}
        sch = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
        ms = metrics(n)
        if cfg.get("mode") == "max":
            ms = [r9(-m) for m in ms]
        if len(cfg) == 1:
            ms = [max(m, 0.3) for m in ms]
    lrs = [[g["lr"] for g in opt.param_groups]]
    for t in range(n):
        opt.step()
        if ms is None:
            sch.step()
        else:
            sch.step(ms[t])
        lrs.append([g["lr"] for g in opt.param_groups])
    return lrs, ms


def main():
    torch.set_default_dtype(torch.float32)
    optim = []
    for name, kind, opts, groups, skip in OPTIM:
        optim.append({
            "name": name, "kind": kind, "options": opts, "groups": groups, "skip": skip,
            "f64": run_optim(kind, opts, groups, skip, torch.float64),
            "f32": run_optim(kind, opts, groups, skip, torch.float32),
        })
    clip, clip_value = clip_cases()
    sched = []
    for name, cfg in SCHEDULES:
        lrs, ms = run_schedule(cfg)
        sched.append({"name": name, "config": cfg, "metrics": ms, "lrs": lrs})
    doc = {
        "torch": torch.__version__,
        "init": INIT, "shapes": SHAPES,
        "grad": "sin(0.7*s + 1.1*j + i) + 0.1*i",
        "optim": optim, "clip": clip, "clipValue": clip_value, "schedules": sched,
    }
    # one record per line keeps the file small and diffable
    lines = ["{"]
    keys = list(doc)
    for n, key in enumerate(keys):
        comma = "," if n < len(keys) - 1 else ""
        val = doc[key]
        if isinstance(val, list) and val and isinstance(val[0], dict):
            body = ",\n".join("    " + json.dumps(v, separators=(",", ":")) for v in val)
            lines.append(f'  "{key}": [\n{body}\n  ]{comma}')
        else:
            lines.append(f'  "{key}": {json.dumps(val, separators=(",", ":"))}{comma}')
    lines.append("}")
    path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "optim.json")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {os.path.normpath(path)} ({os.path.getsize(path)} bytes) with torch {torch.__version__}")


if __name__ == "__main__":
    main()
