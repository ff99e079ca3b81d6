export {
  MAX_ERROR_TEXT_LENGTH,
  THEME_COLORS,
  describeError,
  runFailedCard,
  runRecoveredCard,
  runSucceededCard,
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
  TestCardInput,
} from './message-card.ts';
export { createNoopNotifier, createTeamsNotifier } from './teams-notifier.ts';
export type { Notifier, NotifierLog, TeamsNotifierOptions } from './teams-notifier.ts';
