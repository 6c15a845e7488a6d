// What an operator needs to know per source, in words: shared by the admin UI and the CLI.
// Plain data (no zod), so the browser bundle can import it.
import type { SourceKind } from './config';

export interface SourceInfo {
  label: string;
  /** True where the tool generates the signing secret and the operator pastes it here. */
  toolIssuesSecret: boolean;
  /** Where, in the tool, the URL (and our secret, if we issue it) go. */
  setup: string;
  /** What the tool calls its secret, when it issues one. */
  secretHint?: string;
}

export const SOURCE_INFO: Record<SourceKind, SourceInfo> = {
  comma: {
    label: 'Inbound Webhooks contract (Bearer or HMAC)',
    toolIssuesSecret: false,
    setup:
      'Your producer posts the contract payload to the URL with the secret as Bearer or X-Comma-Signature.',
  },
  'standard-webhooks': {
    label: 'Standard Webhooks',
    toolIssuesSecret: false,
    setup:
      'In the sending tool, add a webhook endpoint: paste the URL, and the secret (whsec_…) as its signing secret.',
  },
  svix: {
    label: 'Svix',
    toolIssuesSecret: true,
    setup:
      "In the tool's Svix portal, add an endpoint with the URL, then open it and reveal its signing secret (whsec_…); paste that here.",
    secretHint: 'Signing secret (whsec_…)',
  },
  github: {
    label: 'GitHub',
    toolIssuesSecret: false,
    setup:
      'Repository or organization Settings → Webhooks → Add webhook: Payload URL = the URL, Content type = application/json, Secret = the secret.',
  },
  stripe: {
    label: 'Stripe',
    toolIssuesSecret: true,
    setup:
      'Dashboard → Developers → Webhooks → Add endpoint with the URL; then reveal its Signing secret (whsec_…) and paste it here.',
    secretHint: 'Signing secret (whsec_…)',
  },
  slack: {
    label: 'Slack',
    toolIssuesSecret: true,
    setup:
      "api.slack.com/apps → your app → Event Subscriptions (or Slash Commands / Interactivity): Request URL = the URL. The Signing Secret is under Basic Information → App Credentials; paste it here. Slack's URL check is answered automatically.",
    secretHint: 'Signing Secret',
  },
  shopify: {
    label: 'Shopify',
    toolIssuesSecret: true,
    setup:
      "Settings → Notifications → Webhooks (or your app's webhook subscriptions): URL = the URL, format JSON. Paste the signing key shown there (or the app's client secret) here.",
    secretHint: 'Webhook signing key / client secret',
  },
  'custom-hmac': {
    label: 'Custom HMAC',
    toolIssuesSecret: false,
    setup:
      'Configure the tool to sign each request with HMAC as set below and send the signature in the chosen header; give it the URL and the secret (or paste the secret it generated).',
  },
};
