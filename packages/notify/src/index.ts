export {
  MAX_ERROR_TEXT_LENGTH,
  THEME_COLORS,
  describeError,
  formatDuration,
  messageCard,
  runFailedCard,
  runRecoveredCard,
  runSucceededCard,
  syncCaughtUpCard,
  syncLaggingCard,
  testCard,
  toFacts,
  truncateText,
} from './message-card.ts';
export type {
  FactValue,
  MessageCard,
  MessageCardFact,
  MessageCardSection,
  RunFailedCardInput,
  RunRecoveredCardInput,
  RunSucceededCardInput,
  SyncCaughtUpCardInput,
  SyncLaggingCardInput,
  TestCardInput,
} from './message-card.ts';
export { createNoopNotifier, createTeamsNotifier } from './teams-notifier.ts';
export type { Notifier, NotifierLog, TeamsNotifierOptions } from './teams-notifier.ts';
