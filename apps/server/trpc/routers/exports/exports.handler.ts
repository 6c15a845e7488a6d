// Exports for regulators and e-discovery: create starts the exportBundle workflow (export/),
// get and list report its state and progress from the row the building activity keeps current.
import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { and, desc, eq } from 'drizzle-orm';
import { audit } from '../../../../../db/audit';
import { type ExportRow, endpoints, exportJobs } from '../../../../../db/schema';
import { exportWorkflowId } from '../../../../../lib/ids';
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
  await ctx.temporal.workflow.start('exportBundle', {
    workflowId,
    taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
    args: [{ exportId: id }],
  });
  return { id };
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
  return toExportView(await ownedExport(ctx, input.id));
}

export async function listExportsHandler({ ctx, input }: { ctx: TenantContext; input: ListExportsInput }) {
  const rows = await ctx.db
    .select()
    .from(exportJobs)
    .where(eq(exportJobs.tenantId, ctx.principal.tenantId))
    .orderBy(desc(exportJobs.createdAt))
    .limit(input?.limit ?? 50);
  return { items: rows.map(toExportView) };
}
