export * from './catalogue.ts';
export { scheduleEnvNames, scheduleEnvSchema, type EffectiveSchedule } from './schedule-env.ts';
export { SamplePayload, sampleCatalogue } from './sample.ts';

import { mergeCatalogues } from './catalogue.ts';
import { sampleCatalogue } from './sample.ts';
import { dispoCatalogue } from './dispo.ts';
import { slotsCatalogue } from './slots.ts';
import { returnsCatalogue } from './returns.ts';
import { arenaCatalogue } from './arena.ts';

/**
 * The fleet's catalogue: every job of every sync. A sync declares its queues and jobs in its own
 * file (`defineCatalogue`) and is added to this list, one entry per sync.
 */
export const catalogue = mergeCatalogues(
  sampleCatalogue,
  dispoCatalogue,
  slotsCatalogue,
  returnsCatalogue,
  arenaCatalogue,
);
export type FleetCatalogue = typeof catalogue;
