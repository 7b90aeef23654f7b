// One EventSource (GET /api/events) shared by every component that listens:
// opened with the first subscriber, closed with the last. The browser
// reconnects on its own after a drop; `onReconnect` listeners refetch what
// they may have missed meanwhile.
import { useEffect, useRef } from "react";

export interface ServerEvent {
  type: string;
  service?: string;
  environment?: string;
  [key: string]: unknown;
}

type Listener = (event: ServerEvent) => void;

const EVENT_TYPES = [
  "rollout.started",
  "rollout.progress",
  "rollout.retrying",
  "rollout.followed",
  "controller.driving",
  "controller.driveFailed",
  "repair.log",
  "repair.failed",
  "instances.orphansRemoved",
  "scaleDown.handedOver",
  "service.undeployed",
  "release.changed",
  "audit.appended",
  "ci.run",
  "ci.stage",
  "ci.service",
  "hello",
];

const listeners = new Set<Listener>();
let source: EventSource | undefined;
let opened = false;

function connect(): void {
  source = new EventSource("/api/events");
  // The server ends the stream of a session that ended (its user removed, say): listeners may ask whether it still holds.
  source.addEventListener("error", () => {
    for (const listener of [...listeners]) listener({ type: "disconnected" });
  });
  for (const type of EVENT_TYPES) {
    source.addEventListener(type, (message) => {
      const event = JSON.parse((message as MessageEvent<string>).data) as ServerEvent;
      // hello after the first open means the stream came back: listeners refetch.
      const delivered = type === "hello" ? { ...event, type: opened ? "reconnected" : "hello" } : event;
      if (type === "hello") opened = true;
      for (const listener of [...listeners]) listener(delivered);
    });
  }
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  if (source === undefined) connect();
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      source?.close();
      source = undefined;
      opened = false;
    }
  };
}

/** Calls `handler` with every server event while the component is mounted (the latest handler, without resubscribing). */
export function useServerEvents(handler: Listener): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => subscribe((event) => latest.current(event)), []);
}
