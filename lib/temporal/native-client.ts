// A Temporal client on a NativeConnection (the SDK's Rust core), connected in the background.
// The relay starts a workflow for every acknowledged message; on the pure-JS gRPC connection a
// start costs the event loop about three times what it costs on the native one, whose gRPC work
// runs on the core's own threads (docs/performance.md, "Workflow starts"). But
// NativeConnection has no lazy mode: connect() fails while Temporal is down, and the server
// must start and acknowledge without Temporal. So this keeps trying, and until it is connected
// `current()` throws TemporalNotConnectedError, which the relay treats as a failed start (the
// receipt stays due; nothing is lost). Once connected, the core reconnects by itself.
import { Client, type ClientInterceptors } from '@temporalio/client';
// The connection alone: the package's index loads the whole worker (+12 MB, +0.5 s start-up).
import { NativeConnection } from '@temporalio/worker/lib/connection.js';
import type { Logger } from '../logger';

export class TemporalNotConnectedError extends Error {
  override name = 'TemporalNotConnectedError';
}

export interface BackgroundClientOptions {
  address: string;
  namespace: string;
  interceptors: ClientInterceptors;
  log: Logger;
  /** Delay between failed connection attempts (doubling up to maxRetryMs). */
  firstRetryMs?: number;
  maxRetryMs?: number;
}

export class BackgroundNativeClient {
  private client: Client | undefined;
  private connection: NativeConnection | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private attempt: Promise<void> | undefined;
  private failures = 0;

  constructor(private readonly opts: BackgroundClientOptions) {
    this.attempt = this.connect();
  }

  /** The connected client; throws TemporalNotConnectedError until the first connect succeeds. */
  current(): Client {
    if (!this.client)
      throw new TemporalNotConnectedError(`not yet connected to Temporal at ${this.opts.address}`);
    return this.client;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.attempt;
    await this.connection?.close();
  }

  private async connect(): Promise<void> {
    try {
      const connection = await NativeConnection.connect({ address: this.opts.address });
      if (this.closed) {
        await connection.close();
        return;
      }
      this.connection = connection;
      this.client = new Client({
        connection,
        namespace: this.opts.namespace,
        interceptors: this.opts.interceptors,
      });
      if (this.failures > 0) this.opts.log.info({ address: this.opts.address }, 'connected to Temporal');
    } catch (err) {
      if (this.closed) return;
      const delay = Math.min(
        this.opts.maxRetryMs ?? 10_000,
        (this.opts.firstRetryMs ?? 500) * 2 ** this.failures,
      );
      if (this.failures++ === 0)
        this.opts.log.warn(
          { err, address: this.opts.address },
          'Temporal unreachable; retrying in the background',
        );
      this.timer = setTimeout(() => {
        this.attempt = this.connect();
      }, delay);
      this.timer.unref();
    }
  }
}
