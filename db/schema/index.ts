export * from './admin-keys';
export * from './attachments';
export * from './audit-log';
export * from './endpoints';
export * from './messages';
export * from './request-log';
export * from './tenants';
