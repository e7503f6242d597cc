import { z } from "zod";

/** The last rollout wave; waves are 0..MAX_WAVE and roll out in ascending order. */
export const MAX_WAVE = 9;

/** The wave a deployment without `rollout.wave` rolls out in: after a canary in wave 0. */
export const DEFAULT_WAVE = 1;

const WAVE_RULE = `a whole number from 0 to ${MAX_WAVE}; waves apply in ascending order (e.g. 0 for a canary, ${DEFAULT_WAVE} for the rest)`;

/**
 * When a deployment is applied relative to the others (scripts/ci.ts: the apply workflow goes wave by
 * wave and stops at the first failure, starting no further wave).
 */
export const Rollout = z.strictObject({
  wave: z
    .number({ error: `must be ${WAVE_RULE}` })
    .int({ error: `must be ${WAVE_RULE}` })
    .min(0, { error: `must be ${WAVE_RULE}` })
    .max(MAX_WAVE, { error: `must be ${WAVE_RULE}` })
    .default(DEFAULT_WAVE)
    .describe(`Rollout wave, ${WAVE_RULE}. Every deployment of a wave is applied before the next wave starts; a failure stops the rollout. Default: ${DEFAULT_WAVE}.`),
});
