// Inclusion proofs for many leaves of one tree. evidence/merkle.ts recomputes every subtree per
// proof (O(n) each, O(n²) for an export of n messages); here each RFC 9162 subtree is hashed
// once and shared by every proof that needs it, so all proofs together cost O(n) hashing.
// Memory is flat: the leaves and every perfect subtree (the left side of each split is one,
// aligned to its size) sit in one buffer per level, 32 bytes a hash, ~64 bytes a leaf in all;
// only the O(log n) subtrees on the right edge, which are not perfect, are kept in a map.

import { nodeHash } from '../evidence/merkle';

const HASH = 32;

export class ProofTree {
  /** levels[l] holds the perfect subtrees of 2^l leaves, in order; levels[0] is the leaves. */
  readonly #levels: Buffer[] = [];
  readonly #edge = new Map<number, Buffer>();
  readonly size: number;

  /** The leaf hashes, as one buffer of 32 bytes each or as one buffer per leaf. */
  constructor(leafHashes: Buffer | readonly Buffer[]) {
    const leaves = Buffer.isBuffer(leafHashes) ? leafHashes : Buffer.concat(leafHashes as Buffer[]);
    if (leaves.length % HASH !== 0) throw new RangeError('leaf hashes must be 32 bytes each');
    this.size = leaves.length / HASH;
    this.#levels.push(leaves);
    for (let below = leaves; below.length >= 2 * HASH; ) {
      const n = Math.floor(below.length / HASH / 2);
      const level = Buffer.alloc(n * HASH);
      for (let j = 0; j < n; j++)
        nodeHash(
          below.subarray(2 * j * HASH, (2 * j + 1) * HASH),
          below.subarray((2 * j + 1) * HASH, (2 * j + 2) * HASH),
        ).copy(level, j * HASH);
      this.#levels.push(level);
      below = level;
    }
  }

  /** §2.1.3.1 PATH(m, D[n]) over the whole tree. */
  inclusionProof(index: number): Buffer[] {
    if (!(Number.isSafeInteger(index) && index >= 0 && index < this.size))
      throw new RangeError('index out of range');
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
    return siblings.reverse();
  }

  #subtree(lo: number, hi: number): Buffer {
    const n = hi - lo;
    // A perfect subtree is aligned to its size (every left part of a split is): look it up.
    if ((n & (n - 1)) === 0 && lo % n === 0) {
      const level = this.#levels[Math.log2(n)] as Buffer;
      const at = (lo / n) * HASH;
      return Buffer.from(level.subarray(at, at + HASH));
    }
    // Otherwise it ends at the tree's right edge (hi = size): one per size, memoised by lo.
    const hit = this.#edge.get(lo);
    if (hit) return hit;
    const k = splitPoint(n);
    const h = nodeHash(this.#subtree(lo, lo + k), this.#subtree(lo + k, hi));
    this.#edge.set(lo, h);
    return h;
  }
}

/** Largest power of two strictly smaller than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
