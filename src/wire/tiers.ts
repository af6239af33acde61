// The usage tiers of a Gemini API project. A project's tier sets its rate limits, and the API names
// it in the quota ids of a 429's QuotaFailure (`…-FreeTier`, `…PaidTier…`), so it is a wire fact
// shared by pacing (default limits), the gateway's config and the emulator.
// Source: the Gemini API rate limits page (https://ai.google.dev/gemini-api/docs/rate-limits),
// "Usage tiers": Free, Tier 1, Tier 2, Tier 3.

/** Every usage tier, cheapest first: the names configs use. */
export const TIERS = ['free', 'tier1', 'tier2', 'tier3'] as const;

/** A project's usage tier: `free`, `tier1`, `tier2` or `tier3`. */
export type Tier = (typeof TIERS)[number];
