import { z } from 'zod';
import { authModeEnum } from '../../../../../db/schema';
import { isUnstorable } from '../../../../../db/storable-text';
import { ipAllowlistSchema } from '../../../../../lib/cidr';
import { ENDPOINT_LIMITS } from '../../../../../lib/limits';
import {
  customHmacSchema,
  mappingSchema,
  SOURCE_KINDS,
  TOOL_ISSUED_SECRET,
} from '../../../../../lib/sources/config';
import { secretProblem } from '../../../ingest/sources/secrets';

export const ZEndpointName = z
  .string()
  .trim()
  .min(1, 'name is required')
  .max(200)
  // PostgreSQL text can't hold these: a 400 here, not a 500 from the database.
  .refine((s) => !isUnstorable(s), 'must not contain NUL or unpaired surrogates');

const { rateLimitPerSecond: rate, rateLimitBurst: burst } = ENDPOINT_LIMITS;
export const ZRateLimitPerSecond = z.number().int().min(rate.min).max(rate.max);
export const ZRateLimitBurst = z.number().int().min(burst.min).max(burst.max);

/** A signing secret the operator copied from the tool (Stripe, Slack, Shopify, Svix…). */
export const ZGivenSecret = z.string().trim().min(8, 'secret is too short').max(1024);

export const ZCreateEndpointInput = z
  .object({
    name: ZEndpointName,
    /** Sustained requests per second (token refill rate); the contract's default is 100. */
    rateLimitPerSecond: ZRateLimitPerSecond.optional(),
    /** Bucket capacity: how many requests may arrive at once before queueing starts. */
    rateLimitBurst: ZRateLimitBurst.optional(),
    /** Who sends: 'comma' is the contract (Bearer/HMAC); the others are SaaS presets. */
    source: z.enum(SOURCE_KINDS).default('comma'),
    /** For source 'comma' only. */
    authMode: z.enum(authModeEnum.enumValues).optional(),
    /** The tool's own signing secret; required where the tool issues it, else generated. */
    secret: ZGivenSecret.optional(),
    customHmac: customHmacSchema.optional(),
    mapping: mappingSchema.optional(),
    ipAllowlist: ipAllowlistSchema.optional(),
  })
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (v.source === 'comma') {
      if (!v.authMode) issue('authMode', "authMode (bearer or hmac) is required for source 'comma'");
      if (v.mapping)
        issue('mapping', "source 'comma' takes the contract's payload as is; mapping is for presets");
    } else if (v.authMode) issue('authMode', "authMode applies to source 'comma' only");
    if (v.source === 'custom-hmac' && !v.customHmac)
      issue('customHmac', "source 'custom-hmac' needs customHmac");
    if (v.source !== 'custom-hmac' && v.customHmac)
      issue('customHmac', "customHmac is for source 'custom-hmac' only");
    if (TOOL_ISSUED_SECRET.has(v.source) && !v.secret)
      issue('secret', `${v.source} issues its own signing secret: paste it as secret`);
    const problem = v.secret === undefined ? null : secretProblem(v.source, v.secret);
    if (problem) issue('secret', problem);
  });
export type CreateEndpointInput = z.infer<typeof ZCreateEndpointInput>;
