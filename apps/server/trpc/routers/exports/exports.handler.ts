// Exports for regulators and e-discovery: create starts the exportBundle workflow (export/),
// get and list report its state and progress from the row the building activity keeps current.
// An export never stays `running` after its workflow is gone: a start Temporal refuses marks the
// row failed at once (`temporal_unavailable`; the user creates it again), and get/list ask
// Temporal about a running row that has not moved for a while (a terminated, timed-out or
// vanished run records no failure of its own) and mark it failed with the run's status.
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { TRPCError } from '@trpc/server';
import { and, desc, eq } from 'drizzle-orm';
import { audit } from '../../../../../db/audit';
import { type ExportRow, endpoints, exportJobs } from '../../../../../db/schema';
import { recordFailure } from '../../../../../export/build';
import { exportWorkflowId } from '../../../../../lib/ids';
import { RefusalError } from '../../refusal';
import type { TenantContext } from '../../trpc';
import type { CreateExportInput, ExportIdInput, ListExportsInput } from './exports.schema';

export function toExportView(e: ExportRow) {
  return {
    id: e.id,
    state: e.state,
    progress: { done: e.done, total: e.total, bytes: e.bytes },
    ...(e.error ? { error: e.error } : {}),
    filters: e.filters,
    requestedBy: e.requestedBy,
    createdAt: e.createdAt.toISOString(),
    completedAt: e.completedAt?.toISOString() ?? null,
    size: e.size,
    sha256: e.sha256,
    downloadPath: e.state === 'completed' ? `/api/exports/${e.id}/download` : null,
  };
}

export async function createExportHandler({ ctx, input }: { ctx: TenantContext; input: CreateExportInput }) {
  const tenantId = ctx.principal.tenantId;
  if (input.endpointId) {
    const [ep] = await ctx.db
      .select({ id: endpoints.id })
      .from(endpoints)
      .where(and(eq(endpoints.id, input.endpointId), eq(endpoints.tenantId, tenantId)));
    if (!ep) throw new TRPCError({ code: 'NOT_FOUND', message: `endpoint ${input.endpointId} not found` });
  }
  const id = randomUUID();
  const workflowId = exportWorkflowId(id);
  const filters = {
    ...(input.endpointId ? { endpointId: input.endpointId } : {}),
    from: new Date(input.from).toISOString(),
    to: new Date(input.to).toISOString(),
    ...(input.q ? { q: input.q } : {}),
    formats: [...new Set(input.formats)].sort(),
  };
  await ctx.db.transaction(async (tx) => {
    await tx
      .insert(exportJobs)
      .values({ id, tenantId, requestedBy: ctx.principal.actor, filters, workflowId });
    await audit(tx, {
      tenantId,
      actor: ctx.principal.actor,
      action: 'export.created',
      targetType: 'export',
      targetId: id,
      sourceIp: ctx.principal.sourceIp,
      details: { ...filters, role: ctx.principal.role },
    });
  });
  try {
    await ctx.temporal.workflow.start('exportBundle', {
      workflowId,
      taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
      args: [{ exportId: id }],
    });
  } catch (err) {
    ctx.log.warn({ err, exportId: id }, 'export: workflow start failed; the export is marked failed');
    await recordFailure(
      ctx.db,
      id,
      `temporal_unavailable: the export could not be started (${errorText(err)})`,
    );
    throw new RefusalError(
      'SERVICE_UNAVAILABLE',
      'temporal_unavailable',
      `export ${id} could not be started: Temporal is unavailable; it is marked failed, create it again later`,
    );
  }
  return { id };
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 200);

/** A running row this long without an update is checked against its workflow. */
export const RECONCILE_AFTER_MS = 10_000;

/** A running export whose workflow has ended without saying so, or is gone: mark it failed. */
async function reconcile(ctx: TenantContext, row: ExportRow): Promise<ExportRow> {
  if (row.state !== 'running' || Date.now() - row.updatedAt.getTime() < RECONCILE_AFTER_MS) return row;
  let error: string;
  try {
    const { status } = await ctx.temporal.workflow.getHandle(row.workflowId).describe();
    if (status.name === 'RUNNING' || status.name === 'COMPLETED' || status.name === 'CONTINUED_AS_NEW')
      return row; // still working (or about to record completion)
    error = `workflow_${status.name.toLowerCase()}: the export's workflow ${row.workflowId} ended ${status.name.toLowerCase()}`;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) return row; // Temporal unreachable: ask again later
    error = `workflow_not_found: the export's workflow ${row.workflowId} does not exist (never started, or removed)`;
  }
  // Only a row still running is changed (the workflow's own failure report may have just landed).
  const [updated] = await ctx.db
    .update(exportJobs)
    .set({ state: 'failed', error, updatedAt: new Date(), completedAt: new Date() })
    .where(and(eq(exportJobs.id, row.id), eq(exportJobs.state, 'running')))
    .returning();
  if (updated) ctx.log.warn({ exportId: row.id, error }, 'export reconciled: its workflow is gone');
  return updated ?? (await ownedExport(ctx, row.id));
}

async function ownedExport(ctx: TenantContext, id: string) {
  const [row] = await ctx.db
    .select()
    .from(exportJobs)
    .where(and(eq(exportJobs.id, id), eq(exportJobs.tenantId, ctx.principal.tenantId)));
  if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: `export ${id} not found` });
  return row;
}

export async function getExportHandler({ ctx, input }: { ctx: TenantContext; input: ExportIdInput }) {
  return toExportView(await reconcile(ctx, await ownedExport(ctx, input.id)));
}

export async function listExportsHandler({ ctx, input }: { ctx: TenantContext; input: ListExportsInput }) {
  const rows = await ctx.db
    .select()
    .from(exportJobs)
    .where(eq(exportJobs.tenantId, ctx.principal.tenantId))
    .orderBy(desc(exportJobs.createdAt))
    .limit(input?.limit ?? 50);
  return { items: (await Promise.all(rows.map((r) => reconcile(ctx, r)))).map(toExportView) };
}
