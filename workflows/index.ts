export { archiveMessage } from './archive-message';
export { expireExports, exportBundle } from './export';
export { ledgerAuditor, ledgerIntegrator } from './ledger';
