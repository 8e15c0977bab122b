"""recur → PyTorch: load a recur checkpoint into torch.nn.LSTM with load_state_dict (run by hand).

The fixture (tools/gen-torch-load-fixture.ts) is a recur training checkpoint of a 2-layer
bidirectional LSTM with proj_size, whose keys are `model.` + PyTorch's own names, and recur's
outputs and final states on a padded batch with lengths. This script strips `model.`, loads the
state dict strictly (every key present, none unexpected, shapes equal), runs PyTorch on the same
batch as a packed sequence, and prints the largest |difference| per tensor.

    /tmp/torch2/bin/python tools/check_torch_load.py [--tol 1e-5]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(__file__))
from gen_fixtures import read_safetensors  # noqa: E402

DIR = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'torch-load')


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--dir', default=DIR)
    ap.add_argument('--tol', type=float, default=1e-5)
    a = ap.parse_args()
    ck, meta = read_safetensors(os.path.join(a.dir, 'lstm.ckpt.safetensors'))
    assert meta.get('format') == 'recur.checkpoint/1', meta.get('format')
    c = json.loads(meta['extra'])['config']
    sd = {k[len('model.'):]: torch.from_numpy(v.copy()) for k, v in ck.items() if k.startswith('model.')}
    lstm = nn.LSTM(c['inputSize'], c['hiddenSize'], num_layers=c['numLayers'], bidirectional=c['bidirectional'],
                   proj_size=c['projSize'], batch_first=c['batchFirst']).eval()
    lstm.load_state_dict(sd, strict=True)  # raises on any missing, unexpected or mis-shaped key
    io, _ = read_safetensors(os.path.join(a.dir, 'io.safetensors'))
    x = torch.from_numpy(io['x'].copy())
    lengths = torch.from_numpy(io['lengths'].copy())
    with torch.no_grad():
        packed = pack_padded_sequence(x, lengths, batch_first=c['batchFirst'], enforce_sorted=False)
        y, (h, cn) = lstm(packed)
        y, _ = pad_packed_sequence(y, batch_first=c['batchFirst'], total_length=x.shape[1 if c['batchFirst'] else 0])
    worst = 0.0
    for name, got in (('output', y), ('h_n', h), ('c_n', cn)):
        want = io[name]
        assert tuple(got.shape) == want.shape, f'{name}: torch {tuple(got.shape)} vs recur {want.shape}'
        d = float(np.max(np.abs(got.numpy() - want)))
        worst = max(worst, d)
        print(f'{name:7s} {tuple(want.shape)}  max |torch - recur| = {d:.3g}')
    print(f'torch {torch.__version__}: load_state_dict(strict=True) ok, {len(sd)} tensors; worst {worst:.3g} (tol {a.tol:g})')
    return 0 if worst <= a.tol else 1


if __name__ == '__main__':
    sys.exit(main())
