// Parsers for option values: a bad value is a commander InvalidArgumentError, i.e. exit 2.
import { InvalidArgumentError } from 'commander';

export function parseLimit(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000) {
    throw new InvalidArgumentError('must be a whole number from 1 to 1000');
  }
  return Number(value);
}

export function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > 7 * 24 * 3600) {
    throw new InvalidArgumentError('must be a number of seconds greater than 0 (at most a week)');
  }
  return seconds;
}
