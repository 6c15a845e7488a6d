// scripts/verify-export BUNDLE.zip [--keys KEYS.json] [--json]: the offline verifier's command
// line. Exit status: 0 verified, 1 a check failed, 2 usage error.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { PublishedKey } from '../evidence/signing-key';
import { formatReport, verifyBundle } from './verify';

const USAGE = `Usage: scripts/verify-export BUNDLE.zip [--keys KEYS.json] [--json]

Checks an export bundle offline: the signed EXPORT-MANIFEST.json, every file's SHA-256, every
receipt signature and every inclusion proof against the signed checkpoint.
  --keys FILE   the archive's public keys, as served at /.well-known/webhook-archive/keys
                (default: the copy inside the bundle, which then vouches for itself)
  --json        print the full report as JSON
Exit status: 0 verified, 1 a check failed, 2 usage error.
`;

export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  let values: { keys?: string; json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { keys: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    }));
  } catch (e) {
    err.write(`error: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    err.write(`error: give exactly one bundle\n\n${USAGE}`);
    return 2;
  }
  let keys: PublishedKey[] | undefined;
  if (values.keys) {
    try {
      keys = (JSON.parse(readFileSync(values.keys, 'utf8')) as { keys: PublishedKey[] }).keys;
      if (!Array.isArray(keys)) throw new Error('no "keys" array');
    } catch (e) {
      err.write(`error: cannot read --keys ${values.keys}: ${(e as Error).message}\n`);
      return 2;
    }
  }
  const file = positionals[0]!;
  const report = await verifyBundle(file, keys);
  out.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, file));
  return report.ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
