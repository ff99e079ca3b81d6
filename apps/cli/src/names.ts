// Names given on the command line are checked against the catalogue before any connection is
// opened: an unknown name is bad input (exit 2) even while Redis is down.
import { UnknownJobError, UnknownQueueError, UnknownSyncError, type FleetControl } from '@syncfleet/control';

export function assertJobName(control: FleetControl, name: string): void {
  if (!control.jobNames.includes(name)) throw new UnknownJobError(name, control.jobNames);
}

export function assertQueueName(control: FleetControl, name: string): void {
  if (!control.queueNames.includes(name)) throw new UnknownQueueError(name, control.queueNames);
}

export function assertSyncName(control: FleetControl, name: string): void {
  if (!control.syncNames.includes(name)) throw new UnknownSyncError(name, control.syncNames);
}
