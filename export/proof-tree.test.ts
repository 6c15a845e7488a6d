import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inclusionProof, leafHash, rootFromLeafHashes, verifyInclusion } from '../evidence/merkle';
import { ProofTree } from './proof-tree';

const leaves = (n: number) =>
  Array.from({ length: n }, (_, i) => leafHash(createHash('sha256').update(`${i}`).digest()));

describe('ProofTree', () => {
  it('gives the same RFC 9162 inclusion proofs as evidence/merkle for every leaf of trees 1..70', () => {
    for (let n = 1; n <= 70; n++) {
      const l = leaves(n);
      const tree = new ProofTree(l);
      const root = rootFromLeafHashes(l);
      for (let i = 0; i < n; i++) {
        const p = tree.inclusionProof(i);
        expect(p).toEqual(inclusionProof(l, i));
        expect(verifyInclusion(i, n, l[i]!, p, root)).toBe(true);
      }
    }
  });

  it('takes the leaves as one flat buffer, with the same proofs (a tree of 1,025: deep right edge)', () => {
    const l = leaves(1025);
    const tree = new ProofTree(Buffer.concat(l));
    const root = rootFromLeafHashes(l);
    for (const i of [0, 1, 511, 512, 1000, 1023, 1024]) {
      const p = tree.inclusionProof(i);
      expect(p).toEqual(inclusionProof(l, i));
      expect(verifyInclusion(i, 1025, l[i]!, p, root)).toBe(true);
    }
  });

  it('refuses an index outside the tree', () => {
    expect(() => new ProofTree(leaves(3)).inclusionProof(3)).toThrow(RangeError);
  });
});
