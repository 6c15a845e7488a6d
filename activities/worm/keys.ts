// Where things live in the WORM store. One prefix per tenant, so retention and audits can be
// scoped to a tenant.
export const rawBodyKey = (tenantId: string, sha256: string) => `tenants/${tenantId}/raw/${sha256}`;
export const messagePrefix = (tenantId: string, messageId: string) =>
  `tenants/${tenantId}/messages/${messageId}`;
export const messageRecordKey = (tenantId: string, messageId: string) =>
  `${messagePrefix(tenantId, messageId)}/message.json`;
export const manifestKey = (tenantId: string, messageId: string) =>
  `${messagePrefix(tenantId, messageId)}/manifest.json`;
export const attachmentKey = (tenantId: string, messageId: string, ordinal: number) =>
  `${messagePrefix(tenantId, messageId)}/attachments/${ordinal}`;

export function retainUntil(receivedAt: Date | string, retentionDays: number): Date {
  return new Date(new Date(receivedAt).getTime() + retentionDays * 86_400_000);
}
