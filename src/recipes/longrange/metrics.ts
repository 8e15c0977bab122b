/** SpliceAI's scores for one kind of site: top-k accuracy and the area under the PR curve. */

/**
 * Top-k accuracy (Jaganathan et al. 2019): with k = the number of true sites, the fraction of the
 * k highest-scoring sites that are true. Ties at the cut are shared pro rata, so a constant
 * score gives the base rate.
 */
export function topKAccuracy(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  let k = 0;
  for (let i = 0; i < n; i++) k += labels[i] ? 1 : 0;
  if (k === 0) return NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const cut = scores[order[k - 1]!]!;
  let hits = 0;
  let tiedPos = 0;
  let tied = 0;
  let above = 0;
  for (let i = 0; i < n; i++) {
    if (scores[i]! > cut) {
      above++;
      hits += labels[i] ? 1 : 0;
    } else if (scores[i] === cut) {
      tied++;
      tiedPos += labels[i] ? 1 : 0;
    }
  }
  return (hits + ((k - above) * tiedPos) / tied) / k;
}

/**
 * Average precision Σ_k (R_k − R_{k−1}) P_k over thresholds (scikit-learn's
 * average_precision_score: tied scores form one threshold), the usual PR-AUC estimate.
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += labels[i] ? 1 : 0;
  if (pos === 0) return NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let tp = 0;
  let ap = 0;
  for (let i = 0; i < n;) {
    let j = i;
    let gained = 0;
    while (j < n && scores[order[j]!] === scores[order[i]!]) gained += labels[order[j++]!] ? 1 : 0;
    tp += gained;
    ap += (gained / pos) * (tp / j);
    i = j;
  }
  return ap;
}
