// How far a model's real input-token counts are from the local estimate (estimate.ts), learned from
// what answers say: usageMetadata.promptTokenCount on generate calls, and a TPM 429's quota details
// where nothing else tells (an embedding answer carries no token count). The pacer multiplies each
// new estimate of the model by its factor, so a batch booked before any answer arrives is still
// booked at the size Gemini will count once one answer (or one refusal) has shown the bias.

/** One answer moves the factor by at most this much either way (see `observe`). */
const MAX_STEP = 2;
/** The factor stays within these bounds, whatever answers say. */
const MIN_FACTOR = 0.25;
const MAX_FACTOR = 16;
/** A TPM refusal raises the factor at least this much, so repeated refusals converge. */
const MIN_REFUSAL_STEP = 1.1;
/** Share of the gap a lower count closes: lowering is gradual, raising immediate. */
const DOWN_RATE = 0.25;

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/**
 * Per model, the ratio real ÷ estimated input tokens (1 until an answer says otherwise). Raising is
 * immediate (an estimate that errs low risks a TPM 429); lowering closes a quarter of the gap per
 * answer (an estimate that errs high only slows pacing a little), and no single answer moves the
 * factor more than 2× (a long video, charged 263 tokens a second by Gemini, is estimated as one
 * image: its ratio says nothing about the model's text).
 */
export class TokenCalibration {
  private readonly factors = new Map<string, number>();

  /** The factor for `model`'s estimates (1 when nothing is known). */
  factor(model: string): number {
    return this.factors.get(model) ?? 1;
  }

  /** `estimate` (tokens, as estimated) scaled by the model's factor, rounded up, at least 1. */
  scale(model: string, estimate: number): number {
    const factor = this.factors.get(model);
    return factor === undefined ? estimate : Math.max(1, Math.ceil(estimate * factor));
  }

  /** An answer counted `real` input tokens for a request estimated at `estimate` (unscaled). */
  observe(model: string, estimate: number, real: number): void {
    if (!(estimate > 0) || !(real > 0)) return;
    const current = this.factor(model);
    const ratio = clamp(real / estimate, current / MAX_STEP, current * MAX_STEP);
    const next = ratio > current ? ratio : current + (ratio - current) * DOWN_RATE;
    this.factors.set(model, clamp(next, MIN_FACTOR, MAX_FACTOR));
  }

  /**
   * Gemini refused a request for the model's tokens per minute (`limit`) while this process counted
   * `counted` tokens in the minute (scaled estimates, corrected where answers said): its count is
   * over the limit, so the estimates are at least limit ÷ counted too low. Raises the factor by that
   * ratio (at least 1.1×, at most 2× per refusal). A refusal while the count is already over the limit says nothing
   * about the estimates (e.g. a limit lowered since), and changes nothing.
   */
  refused(model: string, counted: number, limit: number): void {
    if (!(counted > 0) || !(limit > 0) || counted > limit) return;
    const current = this.factor(model);
    this.factors.set(
      model,
      clamp(current * clamp(limit / counted, MIN_REFUSAL_STEP, MAX_STEP), MIN_FACTOR, MAX_FACTOR),
    );
  }
}
