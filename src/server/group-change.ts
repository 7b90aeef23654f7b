// A group change (a promotion, a rollback to a lock) started over the API
// runs for minutes, in the background: the request answers once it has
// started — its group id, after which the event stream shows it move and
// end (group.finished, or group.error) — or once it ended before starting:
// nothing to do, or refused with the use case's own error code and hint.
import type { EventHub } from "../app/event-hub.js";
import type { Reporter } from "../app/events.js";
import type { Wakeups } from "../app/wakeups.js";
import { asSlipwayError } from "../domain/errors.js";

export interface GroupStarted {
  kind: "started";
  groupId: string;
  environment: string;
  services: string[];
}

/**
 * Runs `change` with a reporter into the hub and the environment's own
 * controller (this process's, woken for each rollout it records); resolves
 * at its group.started event or its end, whichever comes first.
 */
export function startGroupChange<R>(
  host: { hub: EventHub; wakeups: Wakeups },
  environment: string,
  change: (reporter: Reporter, ownController: { wake(): void }) => Promise<R>,
): Promise<R | GroupStarted> {
  return new Promise((resolve, reject) => {
    let started: string | undefined;
    const reporter: Reporter = {
      emit: (event) => {
        host.hub.emit(event);
        if (started !== undefined || event.type !== "group.started") return;
        started = event.groupId;
        resolve({ kind: "started", groupId: event.groupId, environment: event.environment, services: event.services });
      },
    };
    change(reporter, { wake: () => host.wakeups.wake(environment) }).then(resolve, (err: unknown) => {
      if (started === undefined) return reject(err);
      const e = asSlipwayError(err);
      host.hub.emit({ type: "group.error", groupId: started, environment, code: e.code, message: e.message, ...(e.hint === undefined ? {} : { hint: e.hint }) });
    });
  });
}
