// `slipway promote` and `slipway rollback --to-lock` in remote mode: the
// server runs the group change (src/app/promote.ts, rollback-to-lock.ts, as
// the caller) and answers once it has started; the CLI prints its group.*
// events from the server's event stream until its end, and reads the lock
// history every 2 s in case the stream breaks off (the entry's detail names
// the group).
import type { AppEvent } from "../app/events.js";
import { WakeSignal } from "../delivery/controller/wake-signal.js";
import { ErrorCodes, SlipwayError, type ErrorCode } from "../domain/errors.js";
import type { LockHistoryEntry } from "../domain/lock-history.js";
import { lineReporter } from "./app-events.js";
import type { CommandContext } from "./main.js";
import { paint } from "./output.js";
import { RemoteClient, type Remote } from "./remote.js";

/** What the server answers: the group started, or there was nothing to do (up-to-date, already-there). */
export type GroupAnswer = { kind: "started"; groupId: string; environment: string; services: string[] } | ({ kind: "up-to-date" | "already-there" } & Record<string, unknown>);

export type GroupEnd = { result: string; detail: string; lockNumber: number } | { error: { code: string; message: string; hint?: string } };

type GroupAction = "promote" | "rollback-to-lock";

const HISTORY_EVERY_MS = 2000;
const STREAM_WAIT_MS = 5000;

/** The end of group `groupId` in a server-sent event, if the event is it. */
export function groupEndOfEvent(type: string, data: unknown, groupId: string): GroupEnd | undefined {
  const event = data as { groupId?: unknown; result?: unknown; detail?: unknown; lockNumber?: unknown; code?: unknown; message?: unknown; hint?: unknown } | undefined;
  if (event?.groupId !== groupId) return undefined;
  if (type === "group.finished") return { result: String(event.result), detail: String(event.detail), lockNumber: Number(event.lockNumber) };
  if (type === "group.error") return { error: { code: String(event.code), message: String(event.message), ...(typeof event.hint === "string" ? { hint: event.hint } : {}) } };
  return undefined;
}

/** The end of group `groupId` as the lock history records it, once it does. */
export function groupEndOfHistory(locks: readonly LockHistoryEntry[], groupId: string): GroupEnd | undefined {
  const entry = locks.find((l) => l.detail.includes(`(${groupId})`));
  return entry === undefined ? undefined : { result: entry.result, detail: entry.detail, lockNumber: entry.number };
}

/** Whether the group ended as its command wanted: promoted; back on the lock (group.finished says "rolled back", the history "healthy"). */
export function groupSucceeded(action: GroupAction, result: string): boolean {
  return action === "promote" ? result === "promoted" : result === "rolled back" || result === "healthy";
}

/** Whether a server-sent event belongs on the command's output: the group's own, and its rollouts starting and moving in the environment. */
function printable(type: string, data: unknown, started: { groupId: string; environment: string }): boolean {
  const event = data as { groupId?: unknown; environment?: unknown } | undefined;
  if (type.startsWith("group.")) return type !== "group.error" && event?.groupId === started.groupId;
  return (type === "rollout.started" || type === "rollout.progress") && event?.environment === started.environment;
}

export async function remotePromote(ctx: CommandContext, remote: Remote, opts: { from: string; to: string }): Promise<number> {
  const path = `/api/environments/${encodeURIComponent(opts.to)}/promote`;
  return runGroupChange(ctx, remote, "promote", (client) => client.post<GroupAnswer>(path, { from: opts.from }), {
    nothingToDo: () => `${opts.to} already runs what ${opts.from} runs; nothing to promote`,
    succeeded: (started, end) => `${paint(ctx.output, "green", "promoted")} ${started.services.join(", ")} from ${opts.from} to ${opts.to}: lock ${end.lockNumber} (\`slipway history --env ${opts.to}\`)`,
    failed: (end) => `${paint(ctx.output, "red", "rolled back")}: ${end.detail}`,
  });
}

export async function remoteRollbackToLock(ctx: CommandContext, remote: Remote, opts: { env: string; lock: number }): Promise<number> {
  const path = `/api/environments/${encodeURIComponent(opts.env)}/history/${opts.lock}/rollback`;
  return runGroupChange(ctx, remote, "rollback-to-lock", (client) => client.post<GroupAnswer>(path), {
    nothingToDo: () => `${opts.env} already runs the digests of lock ${opts.lock}; nothing to roll back`,
    succeeded: (started, end) => `${paint(ctx.output, "green", "rolled back")} ${opts.env} to lock ${opts.lock} (${started.services.join(", ")}): recorded as lock ${end.lockNumber}`,
    failed: (end) => `${paint(ctx.output, "red", "failed")}: ${end.detail}`,
  });
}

interface GroupLines {
  nothingToDo(): string;
  succeeded(started: { services: string[] }, end: { lockNumber: number }): string;
  failed(end: { detail: string }): string;
}

async function runGroupChange(ctx: CommandContext, remote: Remote, action: GroupAction, start: (client: RemoteClient) => Promise<GroupAnswer>, lines: GroupLines): Promise<number> {
  const client = new RemoteClient(remote);
  const stream = new AbortController();
  const wake = new WakeSignal();
  const received: { type: string; data: unknown }[] = [];
  let connected = (): void => undefined;
  const hello = new Promise<void>((resolve) => (connected = resolve));
  // Listening before the request: a group that ends quickly ends on the stream before the answer arrives.
  client
    .events(stream.signal, (type, data) => {
      if (type === "hello") connected();
      received.push({ type, data });
      wake.nudge();
    })
    .catch(() => undefined)
    .finally(connected);
  try {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([hello, new Promise((resolve) => (timer = setTimeout(resolve, STREAM_WAIT_MS)))]);
    clearTimeout(timer);
    const answer = await start(client);
    if (answer.kind !== "started") {
      ctx.output.out(ctx.globals.json ? JSON.stringify(answer) : lines.nothingToDo());
      return 0;
    }
    const started = answer as Extract<GroupAnswer, { kind: "started" }>;
    const end = await untilEnd(ctx, client, started, received, wake);
    if ("error" in end) {
      const code: ErrorCode = end.error.code in ErrorCodes ? (end.error.code as ErrorCode) : "SERVER_REFUSED";
      throw new SlipwayError(code, `${remote.url}: ${end.error.message}`, { ...(end.error.hint === undefined ? {} : { hint: end.error.hint }) });
    }
    const ok = groupSucceeded(action, end.result);
    if (ctx.globals.json) ctx.output.out(JSON.stringify({ groupId: started.groupId, environment: started.environment, ...end }));
    else ctx.output.out(ok ? lines.succeeded(started, end) : lines.failed(end));
    return ok ? 0 : 1;
  } finally {
    stream.abort();
  }
}

async function untilEnd(ctx: CommandContext, client: RemoteClient, started: { groupId: string; environment: string }, received: { type: string; data: unknown }[], wake: WakeSignal): Promise<GroupEnd> {
  const reporter = lineReporter(ctx.output, ctx.globals);
  const never = new AbortController().signal;
  let historyAt = Date.now() + HISTORY_EVERY_MS;
  for (;;) {
    wake.clear();
    for (const { type, data } of received.splice(0)) {
      if (printable(type, data, started)) reporter.emit(data as AppEvent);
      const end = groupEndOfEvent(type, data, started.groupId);
      if (end !== undefined) return end;
    }
    if (Date.now() >= historyAt) {
      const { locks } = await client.get<{ locks: LockHistoryEntry[] }>(`/api/environments/${encodeURIComponent(started.environment)}/history?limit=20`);
      const end = groupEndOfHistory(locks, started.groupId);
      if (end !== undefined) return end;
      historyAt = Date.now() + HISTORY_EVERY_MS;
    }
    await wake.sleep(HISTORY_EVERY_MS, never);
  }
}
