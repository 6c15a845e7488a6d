import { router, tenantProcedure } from '../../trpc';
import { createExportHandler, getExportHandler, listExportsHandler } from './exports.handler';
import { ZCreateExportInput, ZExportIdInput, ZListExportsInput } from './exports.schema';

// Export bundles (zip: messages.jsonl, .eml, RSMF, raw bodies, attachments, proofs, signed
// EXPORT-MANIFEST.json), built by a Temporal workflow; download at /api/exports/<id>/download.
export const exportsRouter = router({
  create: tenantProcedure.input(ZCreateExportInput).mutation(createExportHandler),
  get: tenantProcedure.input(ZExportIdInput).query(getExportHandler),
  list: tenantProcedure.input(ZListExportsInput).query(listExportsHandler),
});
