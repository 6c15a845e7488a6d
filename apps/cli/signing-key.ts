// Operator tool for the Ed25519 key that signs receipts and checkpoints (DATA_DIR/signing-keys.json):
//   scripts/signing-key list     the published keys (what /.well-known/webhook-archive/keys serves)
//   scripts/signing-key rotate   retire the current key (kept published) and make a new one current
// Restart the server and the worker afterwards: they load the keyring at start.
import { fileURLToPath } from 'node:url';
import { openKeyring, rotateKeyring } from '../../evidence/signing-key';

const USAGE = 'Usage: scripts/signing-key list|rotate   (acts on DATA_DIR/signing-keys.json)';

export function runSigningKeyCli(
  argv: string[],
  env: Record<string, string | undefined>,
  out: (s: string) => void,
) {
  const dataDir = env.DATA_DIR || './data';
  const [command, ...rest] = argv;
  if (rest.length > 0 || (command !== 'list' && command !== 'rotate')) {
    out(`${USAGE}\n`);
    return command === '--help' || command === '-h' ? 0 : 2;
  }
  if (command === 'rotate' && env.SIGNING_KEY) {
    out(
      'error: SIGNING_KEY is set: rotate by setting a new SIGNING_KEY; the file keyring is not the current key\n',
    );
    return 2;
  }
  const ring =
    command === 'rotate'
      ? rotateKeyring(dataDir)
      : openKeyring({ DATA_DIR: dataDir, SIGNING_KEY: env.SIGNING_KEY });
  out(`${JSON.stringify({ current: ring.current.keyId, keys: ring.published }, null, 2)}\n`);
  if (command === 'rotate') out('Restart the server and the worker to sign with the new key.\n');
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = runSigningKeyCli(process.argv.slice(2), process.env, (s) => process.stdout.write(s));
}
