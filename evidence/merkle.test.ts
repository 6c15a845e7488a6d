// The Merkle code against transparency-dev/merkle's public vectors (test/data/merkle, copied
// from github.com/transparency-dev/merkle at 417fb0c, Apache-2.0) and against itself.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CompactRange,
  consistencyProof,
  consistencyProofFromNodes,
  consistencyProofNodes,
  EMPTY_ROOT,
  inclusionProof,
  inclusionProofFromNodes,
  inclusionProofNodes,
  leafHash,
  type NodeId,
  perfectSubtrees,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle';

const DATA = path.join(import.meta.dirname, '../test/data/merkle');
const b64 = (s: string) => Buffer.from(s, 'base64');

function vectorFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? vectorFiles(p) : name.endsWith('.json') ? [p] : [];
  });
}

// testonly/constants.go: LeafInputs() and RootHashes().
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
];
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const leafHashes = LEAVES.map((h) => leafHash(Buffer.from(h, 'hex')));

describe('RFC 9162 tree hashes', () => {
  it('matches the reference roots for every size 0..8', () => {
    for (let n = 0; n <= 8; n++)
      expect(rootFromLeafHashes(leafHashes.slice(0, n)).toString('hex')).toBe(ROOTS[n]);
    expect(EMPTY_ROOT.toString('hex')).toBe(ROOTS[0]);
  });
  it('CompactRange gives the root of every prefix in one pass', () => {
    const range = new CompactRange();
    expect(range.root().toString('hex')).toBe(ROOTS[0]);
    for (let n = 1; n <= 8; n++) {
      range.append(leafHashes[n - 1] as Buffer);
      expect(range.root().toString('hex')).toBe(ROOTS[n]);
    }
  });
});

describe('transparency-dev inclusion vectors', () => {
  const files = vectorFiles(path.join(DATA, 'inclusion'));
  it('has the vectors', () => expect(files.length).toBeGreaterThan(80));
  for (const file of files) {
    const v = JSON.parse(readFileSync(file, 'utf8'));
    it(`${path.relative(DATA, file)} (${v.desc})`, () => {
      const ok = verifyInclusion(
        v.leafIdx,
        v.treeSize,
        b64(v.leafHash),
        (v.proof ?? []).map(b64),
        b64(v.root),
      );
      expect(ok).toBe(!v.wantErr);
    });
  }
});

describe('transparency-dev consistency vectors', () => {
  const files = vectorFiles(path.join(DATA, 'consistency'));
  it('has the vectors', () => expect(files.length).toBeGreaterThan(80));
  for (const file of files) {
    const v = JSON.parse(readFileSync(file, 'utf8'));
    it(`${path.relative(DATA, file)} (${v.desc})`, () => {
      const ok = verifyConsistency(v.size1, v.size2, (v.proof ?? []).map(b64), b64(v.root1), b64(v.root2));
      expect(ok).toBe(!v.wantErr);
    });
  }
});

describe('our proofs', () => {
  const many = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from(`leaf-${i}`)));
  it('every inclusion proof verifies, and fails for another leaf or index', () => {
    for (let n = 1; n <= many.length; n++) {
      const root = rootFromLeafHashes(many.slice(0, n));
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(many, i, n);
        expect(verifyInclusion(i, n, many[i] as Buffer, proof, root)).toBe(true);
        if (n > 1) expect(verifyInclusion((i + 1) % n, n, many[i] as Buffer, proof, root)).toBe(false);
      }
    }
  });
  it('every consistency proof between two sizes verifies, and fails with a wrong root', () => {
    for (let m = 1; m <= 40; m++) {
      for (let n = m; n <= 40; n++) {
        const r1 = rootFromLeafHashes(many.slice(0, m));
        const r2 = rootFromLeafHashes(many.slice(0, n));
        const proof = consistencyProof(many, m, n);
        expect(verifyConsistency(m, n, proof, r1, r2)).toBe(true);
        expect(verifyConsistency(m, n, proof, r2.equals(r1) ? leafHash(Buffer.from('x')) : r2, r1)).toBe(
          false,
        );
      }
    }
  });
  it('reproduces the vectors’ proofs from the leaves', () => {
    const v = JSON.parse(readFileSync(path.join(DATA, 'inclusion/1/happy-path.json'), 'utf8'));
    expect(inclusionProof(leafHashes, v.leafIdx, v.treeSize).map((b) => b.toString('base64'))).toEqual(
      v.proof,
    );
    const c = JSON.parse(readFileSync(path.join(DATA, 'consistency/1/happy-path.json'), 'utf8'));
    expect(consistencyProof(leafHashes, c.size1, c.size2).map((b) => b.toString('base64'))).toEqual(c.proof);
  });
});

describe('proofs from stored perfect subtrees (ledger_nodes)', () => {
  const many = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from(`leaf-${i}`)));
  // The node store as the integrator fills it: every perfect subtree CompactRange completes.
  const stored = new Map<string, Buffer>(many.map((h, i) => [`0/${i}`, h]));
  const range = new CompactRange();
  for (const h of many) range.append(h, (id, hash) => stored.set(`${id.level}/${id.index}`, hash));
  const fetched: NodeId[] = [];
  const node = (id: NodeId) => {
    fetched.push(id);
    const h = stored.get(`${id.level}/${id.index}`);
    if (!h) throw new Error(`node ${id.level}/${id.index} not stored`);
    return h;
  };

  it('CompactRange reports every perfect subtree, each equal to the root of its leaves', () => {
    for (const [k, h] of stored) {
      const [level, index] = k.split('/').map(Number) as [number, number];
      const lo = index * 2 ** level;
      expect(h.equals(rootFromLeafHashes(many.slice(lo, lo + 2 ** level)))).toBe(true);
    }
    expect(stored.size).toBe(70 + 35 + 17 + 8 + 4 + 2 + 1);
  });

  it('gives exactly the proofs computed from all leaves, from only the nodes it asked for', () => {
    for (let n = 1; n <= many.length; n++)
      for (let i = 0; i < n; i++) {
        const want = inclusionProofNodes(i, n);
        expect(want.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n + 1)) ** 2);
        fetched.length = 0;
        expect(inclusionProofFromNodes(i, n, node)).toEqual(inclusionProof(many, i, n));
        const asked = new Set(want.map((x) => `${x.level}/${x.index}`));
        for (const f of fetched) expect(asked.has(`${f.level}/${f.index}`)).toBe(true);
      }
    for (let m = 0; m <= 70; m++)
      for (let n = m; n <= 70; n++) {
        fetched.length = 0;
        expect(consistencyProofFromNodes(m, n, node)).toEqual(consistencyProof(many, m, n));
        const asked = new Set(consistencyProofNodes(m, n).map((x) => `${x.level}/${x.index}`));
        for (const f of fetched) expect(asked.has(`${f.level}/${f.index}`)).toBe(true);
      }
  });

  it('reproduces the transparency-dev vectors from nodes', () => {
    const leaves8 = new Map<string, Buffer>(leafHashes.map((h, i) => [`0/${i}`, h]));
    const r = new CompactRange();
    for (const h of leafHashes) r.append(h, (id, hash) => leaves8.set(`${id.level}/${id.index}`, hash));
    const get = (id: NodeId) => leaves8.get(`${id.level}/${id.index}`) as Buffer;
    const v = JSON.parse(readFileSync(path.join(DATA, 'inclusion/1/happy-path.json'), 'utf8'));
    expect(inclusionProofFromNodes(v.leafIdx, v.treeSize, get).map((b) => b.toString('base64'))).toEqual(
      v.proof,
    );
    const c = JSON.parse(readFileSync(path.join(DATA, 'consistency/1/happy-path.json'), 'utf8'));
    expect(consistencyProofFromNodes(c.size1, c.size2, get).map((b) => b.toString('base64'))).toEqual(
      c.proof,
    );
  });

  it('a tree continues from its perfect subtrees alone', () => {
    for (let size = 0; size <= 40; size++) {
      const ids = perfectSubtrees(0, size);
      const r = CompactRange.fromPerfectSubtrees(
        size,
        ids.map((id) => stored.get(`${id.level}/${id.index}`) as Buffer),
      );
      for (let n = size; n < 70; n++) r.append(many[n] as Buffer);
      expect(r.root().equals(rootFromLeafHashes(many))).toBe(true);
    }
  });
});
