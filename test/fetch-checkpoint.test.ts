/**
 * fetchCheckpoint (the browser entry's loader; Node has fetch too): a checkpoint served over HTTP
 * decodes; an HTTP error is a FileError naming the URL; truncated bytes a FormatError naming it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchCheckpoint } from '../src/browser.js';
import { FileError, FormatError, LSTM, Rng, encodeCheckpoint } from '../src/index.js';

test('fetchCheckpoint: decodes a served checkpoint; HTTP errors and truncated bytes are typed errors naming the URL', async () => {
  const lstm = new LSTM(2, 3, { rng: new Rng(1) });
  const bytes = encodeCheckpoint({ model: lstm.stateDict(), extra: { epoch: 2 } });
  const server = createServer((req, res) => {
    if (req.url === '/ok.safetensors') res.end(bytes);
    else if (req.url === '/cut.safetensors') res.end(bytes.subarray(0, bytes.length - 3));
    else res.writeHead(404, 'Not Found').end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const ck = await fetchCheckpoint(`${base}/ok.safetensors`);
    assert.deepEqual(ck.extra, { epoch: 2 });
    assert.deepEqual([...ck.model['weight_hh_l0']!.data], [...lstm.param('weight_hh_l0').data]);
    await assert.rejects(fetchCheckpoint(`${base}/missing.safetensors`), (e: Error) => e instanceof FileError && e.message.includes('/missing.safetensors') && /HTTP 404/.test(e.message));
    await assert.rejects(fetchCheckpoint(`${base}/cut.safetensors`), (e: Error) => e instanceof FormatError && e.message.startsWith(`${base}/cut.safetensors`));
  } finally {
    server.close();
  }
});
