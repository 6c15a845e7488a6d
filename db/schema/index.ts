export * from './admin-keys';
export * from './attachments';
export * from './audit-log';
export * from './endpoints';
export * from './ingest-receipts';
export * from './messages';
export * from './tenants';
export * from './ui-sessions';
