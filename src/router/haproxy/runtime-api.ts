// HAProxy's Runtime API (the stats socket) and master CLI, spoken over a unix
// socket: one connection per command line, closed by HAProxy after the
// answer. No prompt mode, so no framing to get wrong, and a worker replaced
// by a reload is picked up by the next command. HAProxy answers in free text
// with no status, so callers say what a success looks like.
import { createConnection } from "node:net";
import { SlipwayError } from "../../domain/errors.js";

export interface RuntimeApiOptions {
  /** For messages: "router admin socket". */
  label: string;
  timeoutMs?: number;
}

export class HaproxySocketClient {
  readonly socketPath: string;
  private readonly label: string;
  private readonly timeoutMs: number;

  constructor(socketPath: string, options: RuntimeApiOptions) {
    this.socketPath = socketPath;
    this.label = options.label;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** Sends one command line (commands may be joined with "; ") and returns the whole answer. */
  send(command: string): Promise<string> {
    if (/[\n\r]/.test(command)) throw new SlipwayError("INTERNAL", `a router command may not contain a newline: ${JSON.stringify(command)}`);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = createConnection(this.socketPath);
      socket.setTimeout(this.timeoutMs, () => {
        socket.destroy();
        reject(this.unavailable(command, `no answer within ${this.timeoutMs} ms`, undefined));
      });
      socket.on("connect", () => socket.end(`${command}\n`));
      socket.on("data", (chunk: Buffer) => chunks.push(chunk));
      socket.on("error", (err: NodeJS.ErrnoException) => reject(this.unavailable(command, err.code ?? err.message, err)));
      socket.on("close", (hadError) => {
        if (!hadError) resolve(Buffer.concat(chunks).toString("utf8"));
      });
    });
  }

  /** For commands that answer nothing on success (set weight, set server state, enable server). */
  async sendExpectingSilence(command: string): Promise<void> {
    const answer = await this.send(command);
    if (answer.trim() !== "") throw this.refused(command, answer);
  }

  /** For commands that answer a fixed sentence on success ("New server registered."). */
  async sendExpecting(command: string, success: RegExp): Promise<string> {
    const answer = await this.send(command);
    if (!success.test(answer)) throw this.refused(command, answer);
    return answer;
  }

  refused(command: string, answer: string): SlipwayError {
    return new SlipwayError("ROUTER_REFUSED", `HAProxy refused \`${command}\` on the ${this.label}: ${answer.trim() || "(empty answer)"}`, {
      hint: "the router's state and slipway's route table may have drifted; `slipway up` restarts the router from the route table",
    });
  }

  private unavailable(command: string, why: string, cause: unknown): SlipwayError {
    return new SlipwayError("ROUTER_UNAVAILABLE", `cannot run \`${command}\` on the ${this.label} (${this.socketPath}): ${why}`, {
      cause,
      retryable: true,
      hint: "is the router running? `slipway up` starts it; its log is in the state directory under logs/",
    });
  }
}
