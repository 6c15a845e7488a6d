// Runs SeaweedFS (`weed mini`: master, volume, filer and S3 gateway in one process) as a child
// process: a real S3 server with versioning and Object Lock, for tests and local experiments.
// Everything binds to 127.0.0.1 on free ports; S3 requests must be signed with the generated
// admin credentials (an s3 config file in the data dir, not environment variables).

import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { collectOutput, spawnTiedToParent, stopChild, toolPath } from '../../lib/child-process';

export interface SeaweedFsOptions {
  /** Holds volumes, filer metadata, the s3 config and weed's own mini.options. */
  dataDir: string;
  /** Fixed S3 port (e.g. to restart on the same endpoint); default: a free one. */
  s3Port?: number;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface SeaweedFs {
  /** http://127.0.0.1:<port>; use path-style addressing (forcePathStyle: true). */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';
const START_ATTEMPTS = 3;
// Variables `weed mini` reads on its own: credentials would add a second identity, S3_BUCKET
// would pre-create a bucket without Object Lock. The child gets neither.
const SCRUBBED_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'S3_BUCKET',
  'S3_TABLE_BUCKET',
  'S3_EXTERNAL_URL',
];

export async function startSeaweedFs(opts: SeaweedFsOptions): Promise<SeaweedFs> {
  const bin = toolPath('weed');
  const dataDir = path.resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const s3ConfigFile = path.join(dataDir, 's3-config.json');
  // A restart on the same data dir keeps the credentials, so existing clients keep working.
  const { accessKeyId, secretAccessKey } = readCredentials(s3ConfigFile) ?? {
    accessKeyId: `worm${randomBytes(8).toString('hex')}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  const s3Config = {
    identities: [
      {
        name: 'admin',
        credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }],
        actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'],
      },
    ],
  };
  writeFileSync(s3ConfigFile, `${JSON.stringify(s3Config, null, 2)}\n`, { mode: 0o600 });
  const logDir = path.join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const env = { ...process.env };
  for (const name of SCRUBBED_ENV) delete env[name];

  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    // weed leaves unix sockets behind in os.TempDir() (S3, and gRPC ones per component): give it
    // a TMPDIR of its own, removed on stop. Short, since socket paths are limited to 108 bytes.
    const socketDir = mkdtempSync(path.join(tmpdir(), 'weed-'));
    const ports = await freePorts(11);
    const s3Port = opts.s3Port ?? ports[0]!;
    const args = [
      // A global flag (before the command): glog writes its files to os.TempDir() otherwise.
      `-logdir=${logDir}`,
      'mini',
      `-dir=${dataDir}`,
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      `-s3.port=${s3Port}`,
      `-s3.port.grpc=${ports[1]}`,
      `-master.port=${ports[2]}`,
      `-master.port.grpc=${ports[3]}`,
      `-volume.port=${ports[4]}`,
      `-volume.port.grpc=${ports[5]}`,
      `-filer.port=${ports[6]}`,
      `-filer.port.grpc=${ports[7]}`,
      // The admin server (and its maintenance worker) always runs in mini; the UI need not.
      `-admin.port=${ports[8]}`,
      `-admin.port.grpc=${ports[9]}`,
      '-admin.ui=false',
      // Disabled, but mini still checks (and may move) the port: keep it off well-known ones.
      `-webdav.port=${ports[10]}`,
      '-webdav=false',
      '-s3.port.iceberg=0',
      '-s3.port.lance=0',
      '-master.telemetry=false',
      `-s3.config=${s3ConfigFile}`,
      `-s3.localSocket=${path.join(socketDir, 's3.sock')}`,
      `-filer.localSocket=${path.join(socketDir, 'filer.sock')}`,
    ];
    opts.log?.(`${bin} ${args.join(' ')}`);
    const child = spawnTiedToParent(bin, args, {
      env: { ...env, TMPDIR: socketDir },
      cwd: dataDir,
    });
    const output = collectOutput(child, opts.log);
    let exited: string | undefined;
    child.on('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `code ${code}`;
    });
    child.on('error', (err) => {
      exited = `spawn error: ${err.message}`;
    });
    // gRPC sockets have a hard-coded /tmp path (no flag, no TMPDIR); named after our ports.
    const grpcSockets = [
      ['s3', ports[1]],
      ['master', ports[3]],
      ['volume', ports[5]],
      ['filer', ports[7]],
      ['admin', ports[9]],
    ].map(([name, port]) => `/tmp/seaweedfs-${name}-grpc-${port}.sock`);
    const cleanup = () => {
      rmSync(socketDir, { recursive: true, force: true });
      for (const sock of grpcSockets) rmSync(sock, { force: true });
    };

    const endpoint = `http://127.0.0.1:${s3Port}`;
    const client = new S3Client({
      endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
      maxAttempts: 1,
    });
    const timeoutMs = opts.readyTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        if (exited !== undefined) {
          const tail = output().slice(-4000);
          lastError = new Error(`weed mini exited (${exited}) before S3 was ready:\n${tail}`);
          break;
        }
        try {
          await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(2000) });
          return {
            endpoint,
            accessKeyId,
            secretAccessKey,
            region: REGION,
            process: child,
            stop: async () => {
              await stopChild(child, 15_000);
              cleanup();
            },
          };
        } catch (err) {
          if (Date.now() > deadline) {
            await stopChild(child, 5_000);
            cleanup();
            throw new Error(`SeaweedFS S3 not ready after ${timeoutMs} ms: ${String(err)}`);
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      client.destroy();
    }
    cleanup();
    // Another process may have taken one of the free ports in the meantime: try new ones.
    const portTrouble = /not available|address already in use|bind/i.test(lastError?.message ?? '');
    if (!portTrouble || opts.s3Port !== undefined) break;
  }
  throw lastError ?? new Error('weed mini did not start');
}

function readCredentials(file: string): { accessKeyId: string; secretAccessKey: string } | null {
  try {
    const config = JSON.parse(readFileSync(file, 'utf8')) as {
      identities?: { credentials?: { accessKey?: string; secretKey?: string }[] }[];
    };
    const cred = config.identities?.[0]?.credentials?.[0];
    return cred?.accessKey && cred.secretKey
      ? { accessKeyId: cred.accessKey, secretAccessKey: cred.secretKey }
      : null;
  } catch {
    return null;
  }
}

/** `n` distinct TCP ports that were free a moment ago on 127.0.0.1 (all held open together). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const srv = createServer();
          srv.unref();
          srv.on('error', reject);
          srv.listen(0, '127.0.0.1', () => resolve(srv));
        }),
    ),
  );
  const ports = servers.map((srv) => {
    const addr = srv.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  });
  await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  return ports;
}
