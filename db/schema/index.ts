export * from './admin-keys';
export * from './attachments';
export * from './audit-log';
export * from './endpoint-cadence';
export * from './endpoints';
export * from './ledger-leaves';
export * from './messages';
export * from './tenants';
