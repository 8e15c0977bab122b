/**
 * The networks a protein-stability run keeps for `recur predict`: those of the D → L split, each
 * trained on all of dataset D, one per variant and seed, `net-<variant>-seed<k>.safetensors` (k
 * from 1). The checkpoint metadata (kind "stability-net") holds the architecture and the output
 * scale (mu, sd) so predict rebuilds them without the training data.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, Rng, loadCheckpointSync, saveCheckpointSync, type JsonValue } from '../../index.js';
import type { FittedNet } from './fit.js';
import { StabilityNet, type StabilityNetSpec } from './model.js';

interface NetMeta { kind: 'stability-net'; variant: string; seed: number; spec: StabilityNetSpec; mu: number; sd: number; bestEpoch: number }

/** Path of a saved network (seed from 0). */
export function netFile(dir: string, variant: string, seed: number): string {
  return join(dir, `net-${variant}-seed${seed + 1}.safetensors`);
}

/** Save a trained network with what predict needs to rebuild it. */
export function saveNet(dir: string, variant: string, seed: number, f: FittedNet): void {
  const meta: NetMeta = { kind: 'stability-net', variant, seed, spec: f.net.spec, mu: f.mu, sd: f.sd, bestEpoch: f.bestEpoch };
  saveCheckpointSync(netFile(dir, variant, seed), { model: f.net.stateDict(), extra: meta as unknown as JsonValue });
}

/** A rebuilt network and its output scale. */
export interface LoadedNet { net: StabilityNet; mu: number; sd: number; variant: string }

/**
 * Every saved network of `variant` in a run folder.
 * @throws FormatError when there is none, or a file is not a stability network.
 */
export function loadNets(dir: string, variant: string): LoadedNet[] {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(`net-${variant}-seed`) && f.endsWith('.safetensors')).sort() : [];
  if (!files.length) throw new FormatError(dir, `saved networks net-${variant}-seed<k>.safetensors (a run with the d-to-l split and the ${variant} variant)`, 'none');
  return files.map((f) => {
    const path = join(dir, f);
    const ck = loadCheckpointSync(path);
    const m = ck.extra as Partial<NetMeta> | undefined;
    if (m?.kind !== 'stability-net' || typeof m.spec !== 'object' || !Number.isFinite(m.mu) || !Number.isFinite(m.sd)) {
      throw new FormatError(`${path}: __metadata__.extra`, 'the metadata of a stability network (kind "stability-net")', JSON.stringify(m)?.slice(0, 80) ?? 'none');
    }
    const net = new StabilityNet(m.spec, new Rng(0));
    net.loadStateDict(ck.model);
    return { net, mu: m.mu!, sd: m.sd!, variant };
  });
}
