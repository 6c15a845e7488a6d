// README.txt inside every bundle: what is where, and how to check it without us.
export const README = `Webhook archive export bundle
=============================

EXPORT-MANIFEST.json   every other file of this bundle with its SHA-256 and size, signed (Ed25519,
                       over the RFC 8785 canonical JSON of every member except "signature") by the
                       archive key named in key_id; the public keys are in proofs/keys.json and
                       published at <archive>/.well-known/webhook-archive/keys.
messages.jsonl         one JSON record per message: ids, dates, participants, body, extra fields,
                       the signed ingest receipt, the SHA-256 of its sealed manifest, its leaf index
                       in the tenant's transparency log, and the paths of its files.
loadfile.csv           a row per item (message or attachment) for review platforms: ids, dates,
                       participants, path, size, SHA-256, MD5.
raw/<id>.json          the exact bytes the archive received (their SHA-256 is in the receipt).
manifests/<id>.json    the manifest sealed in WORM storage, binding raw body, record and attachments.
attachments/<id>/      each stored attachment, byte for byte.
eml/<id>.eml           each message as RFC 5322 e-mail (X-Archive-* headers carry ids and hashes).
rsmf/<endpoint>/<day>.rsmf
                       RSMF 2.0 files (Relativity Short Message Format), one per endpoint per day.
proofs/<id>.tlog-proof an RFC 9162 inclusion proof of the manifest hash (c2sp.org/tlog-proof),
                       leading to proofs/checkpoint.txt: the signed tree head (c2sp.org/tlog-checkpoint).
proofs/keys.json       the archive's public signing keys.

To verify offline: scripts/verify-export BUNDLE.zip [--keys KEYS.json]
It checks the signed manifest, every file's hash, every receipt signature and every inclusion
proof against the checkpoint, and exits 0 (all good) or 1 (naming the first bad item). Pass the
keys you obtained from the archive independently with --keys, so the bundle does not vouch for itself.
`;
