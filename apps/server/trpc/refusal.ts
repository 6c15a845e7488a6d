// A refusal a client acts on by code, not by message: a TRPCError that also carries a stable,
// machine-readable `reason`, sent as `error.data.reason` (see the errorFormatter in trpc.ts).
import { TRPCError } from '@trpc/server';

/** Every reason a procedure may refuse with; documented in README (Admin API). */
export const REFUSAL_REASONS = [
  // messages.reprocess
  'message_archived',
  'message_in_progress',
  'run_completed',
  // exports.create: Temporal did not take the workflow start (the export is marked failed)
  'temporal_unavailable',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export class RefusalError extends TRPCError {
  constructor(
    code: 'CONFLICT' | 'PRECONDITION_FAILED' | 'SERVICE_UNAVAILABLE',
    readonly reason: RefusalReason,
    message: string,
  ) {
    super({ code, message });
  }
}
