// Inclusion proofs for many leaves of one tree. evidence/merkle.ts recomputes every subtree per
// proof (O(n) each, O(n²) for an export of n messages); here each RFC 9162 subtree is hashed
// once and shared by every proof that needs it, so all proofs together cost O(n) hashing.

import { nodeHash } from '../evidence/merkle';

export class ProofTree {
  readonly #leaves: readonly Buffer[];
  readonly #memo = new Map<number, Buffer>();
  readonly size: number;

  constructor(leafHashes: readonly Buffer[]) {
    this.#leaves = leafHashes;
    this.size = leafHashes.length;
  }

  /** §2.1.3.1 PATH(m, D[n]) over the whole tree. */
  inclusionProof(index: number): Buffer[] {
    if (!(Number.isSafeInteger(index) && index >= 0 && index < this.size))
      throw new RangeError('index out of range');
    const out: Buffer[] = [];
    let lo = 0;
    let hi = this.size;
    const siblings: Buffer[] = [];
    // Walk down from the root, remembering the sibling subtree at each level; PATH lists them
    // bottom-up.
    while (hi - lo > 1) {
      const k = splitPoint(hi - lo);
      if (index < lo + k) {
        siblings.push(this.#subtree(lo + k, hi));
        hi = lo + k;
      } else {
        siblings.push(this.#subtree(lo, lo + k));
        lo += k;
      }
    }
    for (let i = siblings.length - 1; i >= 0; i--) out.push(siblings[i] as Buffer);
    return out;
  }

  #subtree(lo: number, hi: number): Buffer {
    if (hi - lo === 1) return this.#leaves[lo] as Buffer;
    // (lo, hi) fits one safe integer key for trees below 2^26 leaves.
    const key = lo * 67_108_864 + hi;
    const hit = this.#memo.get(key);
    if (hit) return hit;
    const k = splitPoint(hi - lo);
    const h = nodeHash(this.#subtree(lo, lo + k), this.#subtree(lo + k, hi));
    this.#memo.set(key, h);
    return h;
  }
}

/** Largest power of two strictly smaller than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
