import { type Answer, contractBreach } from "./answerRules.ts";

export interface FuzzRequest {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

/**
 * Sends hostile requests with one key and keeps score: which operation ids were accepted (2xx
 * naming an id, single or in a batch), and what broke the contract. A refused request is never
 * retried: whatever it did, it did on its one try.
 */
export class FuzzClient {
  readonly accepted = new Set<string>();
  readonly breaches: string[] = [];
  sent = 0;
  /** Answers by status code. */
  readonly statuses = new Map<number, number>();
  /** Requests the HTTP client itself refused to send (a header value it considers invalid). */
  unsendable = 0;

  constructor(
    readonly baseUrl: string,
    readonly key: string,
  ) {}

  /** Sends `request` and returns the answer's breach of the contract, or undefined. */
  async send(request: FuzzRequest): Promise<string | undefined> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}`, ...request.headers };
    if (request.body !== undefined) headers["content-type"] ??= "application/json";
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${request.path}`, {
        method: request.method,
        headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
      });
    } catch (error) {
      // undici checks header values before sending: such a request never reaches the server.
      if ((error as { cause?: { code?: unknown } }).cause?.code === "UND_ERR_INVALID_ARG") {
        this.unsendable += 1;
        return undefined;
      }
      throw error;
    }
    const answer: Answer = { status: res.status, headers: res.headers, text: await res.text() };
    this.sent += 1;
    this.statuses.set(answer.status, (this.statuses.get(answer.status) ?? 0) + 1);
    if (answer.status >= 200 && answer.status < 300) this.#noteAccepted(answer.text);
    const breach = contractBreach(answer);
    if (breach) {
      const shown = (request.body ?? "").slice(0, 200);
      this.breaches.push(`${request.method} ${request.path.slice(0, 120)} ${shown} -> ${breach}`);
      return `${request.method} ${request.path.slice(0, 120)} ${shown} -> ${breach}`;
    }
    return undefined;
  }

  #noteAccepted(text: string): void {
    let body: { id?: unknown; results?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return;
    }
    if (typeof body.id === "string") this.accepted.add(body.id);
    if (Array.isArray(body.results)) {
      for (const result of body.results as { id?: unknown }[]) {
        if (typeof result.id === "string") this.accepted.add(result.id);
      }
    }
  }
}
