// RFC 9162 (Certificate Transparency 2.0) Merkle tree: hashes, roots, inclusion and consistency
// proofs and their verifiers, over SHA-256. Pure and dependency-free beyond node:crypto, so the
// server, the worker's audit and an offline verifier all share one implementation.
import { createHash } from 'node:crypto';
import { HASH_SIZE } from './hex';

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export const EMPTY_ROOT = createHash('sha256').digest();

/** §2.1.1: MTH({d}) = SHA-256(0x00 || d). */
export function leafHash(leaf: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(leaf).digest();
}

/** §2.1.1: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** Largest power of two strictly smaller than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over already-hashed leaves, in O(n) time and O(log n) memory. */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Buffer {
  const range = new CompactRange();
  for (const h of leafHashes) range.append(h);
  return range.root();
}

interface Node {
  hash: Buffer;
  size: number;
}

/**
 * A growing tree's right edge (its perfect subtrees), so roots of every prefix come out of one
 * pass over the leaves: the audit checks each sealed checkpoint without rehashing from zero.
 */
export class CompactRange {
  #stack: Node[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /**
   * The range of a tree of `size` leaves, from the hashes of its perfect subtrees
   * (`perfectSubtrees(0, size)`, left to right): continues a tree without its leaves.
   */
  static fromPerfectSubtrees(size: number, hashes: readonly Uint8Array[]): CompactRange {
    const ids = perfectSubtrees(0, size);
    if (ids.length !== hashes.length)
      throw new RangeError(`a tree of ${size} has ${ids.length} perfect subtrees`);
    const r = new CompactRange();
    r.#stack = ids.map((id, i) => ({ hash: Buffer.from(hashes[i] as Uint8Array), size: 2 ** id.level }));
    r.#size = size;
    return r;
  }

  /** Appends a leaf; `onNode` sees every perfect subtree of two or more leaves it completes. */
  append(leafHash: Uint8Array, onNode?: (id: NodeId, hash: Buffer) => void): void {
    let top: Node = { hash: Buffer.from(leafHash), size: 1 };
    // Merge equal-sized perfect subtrees as soon as they form.
    for (let prev = this.#stack.at(-1); prev && prev.size === top.size; prev = this.#stack.at(-1)) {
      this.#stack.pop();
      top = { hash: nodeHash(prev.hash, top.hash), size: prev.size * 2 };
      onNode?.({ level: Math.log2(top.size), index: Math.floor(this.#size / top.size) }, top.hash);
    }
    this.#stack.push(top);
    this.#size++;
  }

  root(): Buffer {
    // Perfect subtrees of decreasing size; RFC 9162 joins them right to left.
    return foldSubtrees(this.#stack.map((n) => n.hash));
  }
}

/** A perfect subtree at its aligned place: leaves [index·2^level, (index+1)·2^level). */
export interface NodeId {
  level: number;
  index: number;
}

/**
 * The perfect aligned subtrees of leaves [lo, hi), largest first. For every range a proof or a
 * tree's root uses (lo aligned to the range's size rounded up to a power of two), RFC 9162's
 * MTH of the range is these subtrees' hashes joined right to left (foldSubtrees).
 */
export function perfectSubtrees(lo: number, hi: number): NodeId[] {
  const out: NodeId[] = [];
  for (let p = lo; p < hi; ) {
    let size = 1;
    while (size * 2 <= hi - p && p % (size * 2) === 0) size *= 2;
    out.push({ level: Math.log2(size), index: p / size });
    p += size;
  }
  return out;
}

/** MTH from perfectSubtrees' hashes, left to right. */
export function foldSubtrees(hashes: readonly Uint8Array[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT;
  let root: Buffer = Buffer.from(hashes.at(-1) as Uint8Array);
  for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i] as Uint8Array, root);
  return root;
}

/** MTH(D[lo:hi]) for a range of a proof; how it is found is the caller's (leaves or a node store). */
type RangeHash = (lo: number, hi: number) => Buffer;

function inclusionPath(index: number, treeSize: number, h: RangeHash): Buffer[] {
  if (!(index >= 0 && index < treeSize)) throw new RangeError('index out of range');
  const path = (m: number, lo: number, hi: number): Buffer[] => {
    const n = hi - lo;
    if (n === 1) return [];
    const k = splitPoint(n);
    return m < k ? [...path(m, lo, lo + k), h(lo + k, hi)] : [...path(m - k, lo + k, hi), h(lo, lo + k)];
  };
  return path(index, 0, treeSize);
}

function consistencyPath(m: number, n: number, h: RangeHash): Buffer[] {
  if (!(m >= 0 && m <= n)) throw new RangeError('sizes out of range');
  if (m === 0 || m === n) return [];
  const sub = (m: number, lo: number, hi: number, b: boolean): Buffer[] => {
    const size = hi - lo;
    if (m === size) return b ? [] : [h(lo, hi)];
    const k = splitPoint(size);
    return m <= k
      ? [...sub(m, lo, lo + k, b), h(lo + k, hi)]
      : [...sub(m - k, lo + k, hi, false), h(lo, lo + k)];
  };
  return sub(m, 0, n, true);
}

/** Subtree hashes over a slice of leaf hashes: O(n) hashing per proof. */
const fromLeaves =
  (leaves: readonly Uint8Array[]): RangeHash =>
  (lo, hi) =>
    rootFromLeafHashes(leaves.slice(lo, hi));

/** §2.1.3.1 PATH(m, D[n]), over the first `treeSize` leaf hashes. */
export function inclusionProof(
  leaves: readonly Uint8Array[],
  index: number,
  treeSize = leaves.length,
): Buffer[] {
  if (treeSize > leaves.length) throw new RangeError('index out of range');
  return inclusionPath(index, treeSize, fromLeaves(leaves));
}

/** §2.1.4.1 PROOF(m, D[n]): consistency of the tree of size m with the tree of size n. */
export function consistencyProof(leaves: readonly Uint8Array[], m: number, n = leaves.length): Buffer[] {
  if (n > leaves.length) throw new RangeError('sizes out of range');
  return consistencyPath(m, n, fromLeaves(leaves));
}

// The same proofs from stored perfect subtrees (level 0 = leaf hashes): first ask which nodes a
// proof needs (O(log n) of them; at most O(log² n)), fetch them in one go, then build it.
const needs = (walk: (h: RangeHash) => unknown): NodeId[] => {
  const seen = new Map<string, NodeId>();
  walk((lo, hi) => {
    for (const id of perfectSubtrees(lo, hi)) seen.set(`${id.level}/${id.index}`, id);
    return EMPTY_ROOT;
  });
  return [...seen.values()];
};
const fromNodes =
  (node: (id: NodeId) => Uint8Array): RangeHash =>
  (lo, hi) =>
    foldSubtrees(perfectSubtrees(lo, hi).map(node));

export const inclusionProofNodes = (index: number, treeSize: number) =>
  needs((h) => inclusionPath(index, treeSize, h));
export const inclusionProofFromNodes = (index: number, treeSize: number, node: (id: NodeId) => Uint8Array) =>
  inclusionPath(index, treeSize, fromNodes(node));
export const consistencyProofNodes = (m: number, n: number) => needs((h) => consistencyPath(m, n, h));
export const consistencyProofFromNodes = (m: number, n: number, node: (id: NodeId) => Uint8Array) =>
  consistencyPath(m, n, fromNodes(node));

export class ProofError extends Error {
  override name = 'ProofError';
}

const isHash = (h: Uint8Array) => h.length === HASH_SIZE;
const isSafeSize = (n: number) => Number.isSafeInteger(n) && n >= 0;
const odd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

/** §2.1.3.2: recomputes the root from an inclusion proof; throws ProofError if malformed. */
export function rootFromInclusionProof(
  index: number,
  treeSize: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Buffer {
  if (!isSafeSize(index) || !isSafeSize(treeSize) || index >= treeSize)
    throw new ProofError('leaf index beyond tree size');
  if (!isHash(leaf) || !proof.every(isHash)) throw new ProofError('hashes must be 32 bytes');
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) throw new ProofError('proof too long');
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new ProofError('proof too short');
  return r;
}

export function verifyInclusion(
  index: number,
  treeSize: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  try {
    return rootFromInclusionProof(index, treeSize, leaf, proof).equals(root);
  } catch (err) {
    if (err instanceof ProofError) return false;
    throw err;
  }
}

/** §2.1.4.2; a proof from the empty tree is meaningless and refused (as transparency-dev does). */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!isSafeSize(size1) || !isSafeSize(size2) || size1 > size2 || size1 === 0) return false;
  if (!proof.every(isHash)) return false;
  if (size1 === size2) return proof.length === 0 && Buffer.from(root1).equals(root2);
  if (proof.length === 0) return false;
  // A power-of-two first tree is itself a node of the second: its root starts the path.
  const path = isPow2(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0] as Uint8Array);
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(root1) && sr.equals(root2);
}

function isPow2(n: number): boolean {
  while (n > 1) {
    if (odd(n)) return false;
    n = half(n);
  }
  return n === 1;
}
