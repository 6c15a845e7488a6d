export { archiveMessage } from './archive-message';
export { ledgerAuditor, ledgerIntegrator } from './ledger';
