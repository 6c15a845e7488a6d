// Limits the admin API enforces and the web UI checks as you type: one source for both, so the
// form never accepts what the server then refuses (or the reverse). Plain data: the UI imports it.
export const ENDPOINT_LIMITS = {
  rateLimitPerSecond: { min: 1, max: 100_000 },
  rateLimitBurst: { min: 1, max: 1_000_000 },
  /** CIDR entries per allowlist, and characters per entry. */
  ipAllowlistEntries: 100,
  ipAllowlistEntryLength: 64,
} as const;
