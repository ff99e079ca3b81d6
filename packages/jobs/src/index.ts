export * from './catalogue.ts';
export { scheduleEnvNames, scheduleEnvSchema, type EffectiveSchedule } from './schedule-env.ts';
export { SamplePayload, sampleCatalogue } from './sample.ts';

import { sampleCatalogue } from './sample.ts';

/** The fleet's catalogue: every job of every sync. */
export const catalogue = sampleCatalogue;
export type FleetCatalogue = typeof catalogue;
