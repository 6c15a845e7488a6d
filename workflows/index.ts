export { archiveMessage } from './archive-message';
export { exportBundle } from './export';
export { ledgerAuditor, ledgerIntegrator } from './ledger';
