"""PyTorch → recur interop fixtures (run by hand; CI never runs this).

For a few configurations NOT in the golden grid, save the module's state_dict exactly as a
PyTorch user would (plain keys, safetensors) and, beside it, inputs, outputs, final states and
gradients of loss = sum(output * up_out) + sum(h_n * up_h) [+ sum(c_n * up_c)].

    /tmp/torch2/bin/python tools/gen_interop_fixtures.py
"""
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from gen_fixtures import write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'interop')

CONFIGS = {
    'lstm': dict(cls=nn.LSTM, input_size=7, hidden_size=6, num_layers=3, bidirectional=True, batch_first=True, proj_size=4),
    'gru': dict(cls=nn.GRU, input_size=3, hidden_size=9, num_layers=2, bidirectional=True, batch_first=False),
    'rnn': dict(cls=nn.RNN, input_size=5, hidden_size=4, num_layers=3, bidirectional=False, batch_first=True, nonlinearity='relu'),
}
T, B = 11, 4


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, cfg in CONFIGS.items():
        torch.manual_seed(1234)
        cfg = dict(cfg)
        cls = cfg.pop('cls')
        m = cls(**cfg)
        D = 2 if cfg['bidirectional'] else 1
        L = cfg['num_layers']
        hout = cfg.get('proj_size', 0) or cfg['hidden_size']
        xs = (B, T, cfg['input_size']) if cfg['batch_first'] else (T, B, cfg['input_size'])
        x = torch.randn(*xs, requires_grad=True)
        h0 = torch.randn(L * D, B, hout, requires_grad=True)
        state = h0
        c0 = None
        if cls is nn.LSTM:
            c0 = torch.randn(L * D, B, cfg['hidden_size'], requires_grad=True)
            state = (h0, c0)
        out, st = m(x, state)
        h_n, c_n = (st if cls is nn.LSTM else (st, None))
        up_out, up_h = torch.randn_like(out), torch.randn_like(h_n)
        loss = (out * up_out).sum() + (h_n * up_h).sum()
        if c_n is not None:
            up_c = torch.randn_like(c_n)
            loss = loss + (c_n * up_c).sum()
        loss.backward()
        meta = {'config': json.dumps({k: v for k, v in cfg.items()} | {'kind': name, 'torch_version': torch.__version__})}
        write_safetensors(os.path.join(OUT, f'{name}.safetensors'), {k: v.detach() for k, v in m.state_dict().items()}, {'format': 'pt'})
        io = {'x': x.detach(), 'h0': h0.detach(), 'up_output': up_out, 'up_h_n': up_h, 'output': out.detach(), 'h_n': h_n.detach(),
              'grad_x': x.grad, 'grad_h0': h0.grad}
        if c_n is not None:
            io |= {'c0': c0.detach(), 'up_c_n': up_c, 'c_n': c_n.detach(), 'grad_c0': c0.grad}
        for k, p in m.named_parameters():
            io[f'grad.{k}'] = p.grad
        write_safetensors(os.path.join(OUT, f'{name}.io.safetensors'), io, meta)
        print(name, 'ok')


if __name__ == '__main__':
    main()
