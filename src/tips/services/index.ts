/** What the tips http/ layer and the product module use: the per-user service, its results and the schemas of its inputs. */
export { consentPurposes, type LoggedCandidate, reactions, type SignalInput, signalInputSchema } from '../domain/events.js';
export { type PolicyName, policyNames } from '../domain/shadow.js';
export type { TrackedDecision } from '../domain/state.js';
export { isValidTimeZone, zonedTimeToEpoch } from '../domain/time.js';
export type { DecisionLogEntry } from '../read-model/decision-log.js';
export { createTipsContext, type TipsConfig, type TipsContext, type TipsContextOptions } from './context.js';
export type { NextOptions, NextResult } from './serving.js';
export { TipsService, type TipsServiceOptions } from './tips-service.js';
export { UserStates } from './user-states.js';
export type { LocalClock, LogRow, Receipt, SignalsOverview, TipView } from './views.js';
