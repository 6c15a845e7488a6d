// What an endpoint's `source` and `sourceConfig` may hold: one zod home shared by the database
// schema (the jsonb column's type), the admin API (validation) and the ingest presets.
import { z } from 'zod';

export const SOURCE_KINDS = [
  'comma',
  'standard-webhooks',
  'svix',
  'github',
  'stripe',
  'slack',
  'shopify',
  'custom-hmac',
] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Tools that generate the signing secret themselves: the operator pastes it in at create/rotate. */
export const TOOL_ISSUED_SECRET: ReadonlySet<SourceKind> = new Set(['svix', 'stripe', 'slack', 'shopify']);

const headerName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'must be an HTTP header name');

/** RFC 6901: '' is the whole document, otherwise '/'-separated reference tokens. */
export const jsonPointerSchema = z
  .string()
  .max(1000)
  .regex(/^(\/([^~]|~[01])*)*$/, 'must be a JSON Pointer (RFC 6901), e.g. /data/id');

/** Where one archive field comes from: a JSON Pointer into the body, a header, or a literal. */
const fieldSource = z.union([
  z.strictObject({ pointer: jsonPointerSchema, default: z.string().max(2048).optional() }),
  z.strictObject({ header: headerName, default: z.string().max(2048).optional() }),
  z.strictObject({ value: z.string().max(2048) }),
]);
export type FieldSource = z.infer<typeof fieldSource>;

/** Declarative mapping of a delivery onto the archive's message; each field overrides the preset's. */
export const mappingSchema = z.strictObject({
  externalId: fieldSource.optional(),
  occurredAt: fieldSource.optional(),
  from: fieldSource.optional(),
  /** A string, or an array of strings / {identifier} objects. */
  to: fieldSource.optional(),
  body: fieldSource.optional(),
});
export type Mapping = z.infer<typeof mappingSchema>;

const TEMPLATE_VARS = /\{(body|timestamp|id)\}/g;

export const customHmacSchema = z
  .strictObject({
    /** The header carrying the signature, e.g. x-signature. */
    header: headerName,
    /** Stripped before decoding, e.g. "sha256=". */
    prefix: z.string().max(64).default(''),
    algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
    encoding: z.enum(['hex', 'base64']).default('hex'),
    /** How the secret string becomes the HMAC key. */
    secretEncoding: z.enum(['utf8', 'base64', 'hex']).default('utf8'),
    /** What is signed; {body} is the raw body, {timestamp} and {id} the headers below. */
    template: z
      .string()
      .min(1)
      .max(256)
      .default('{body}')
      .refine((t) => t.includes('{body}'), 'must contain {body}'),
    timestampHeader: headerName.optional(),
    idHeader: headerName.optional(),
    /** Maximum clock difference for timestampHeader, in seconds. */
    toleranceSeconds: z.number().int().min(1).max(86_400).default(300),
  })
  .refine((c) => !c.template.includes('{timestamp}') || c.timestampHeader, {
    message: 'template uses {timestamp}: set timestampHeader',
    path: ['timestampHeader'],
  })
  .refine((c) => !c.template.includes('{id}') || c.idHeader, {
    message: 'template uses {id}: set idHeader',
    path: ['idHeader'],
  })
  .refine((c) => (c.template.replace(TEMPLATE_VARS, '').match(/\{[^}]*\}/g) ?? []).length === 0, {
    message: 'template may only use {body}, {timestamp} and {id}',
    path: ['template'],
  });
export type CustomHmacConfig = z.output<typeof customHmacSchema>;

export const sourceConfigSchema = z.strictObject({
  customHmac: customHmacSchema.optional(),
  mapping: mappingSchema.optional(),
});
export type SourceConfig = z.output<typeof sourceConfigSchema>;
