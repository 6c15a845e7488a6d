// The ack path without its signed receipt, for one measurement only: what the receipt costs
// (scripts/bench-evidence.ts, "none" against RECEIPT_SIGNER=inline and =thread). Everything
// else is the production server process (apps/server/run.ts) unchanged. Its 200s carry no
// receipt, which the contract forbids: never run this as a server.

import { requireProductionSettings } from '../../apps/runtime';
import type { ReceiptSigner } from '../../apps/server/evidence/receipt';
import { runServer } from '../../apps/server/run';
import type { Receipt } from '../../evidence/receipt';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';

const config = loadConfig();
const { temporalAddress } = requireProductionSettings(config, 'server');
const noReceipt: ReceiptSigner = {
  sign: async () => undefined as unknown as Receipt, // JSON leaves the member out
  close: async () => {},
};
await runServer(config, createLogger(config.LOG_LEVEL), temporalAddress, { receiptSigner: noReceipt });
