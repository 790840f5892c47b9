import { Agent, request } from "undici";

export interface AddressedAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/**
 * A caller on its own loopback address (`127.0.0.2`, `127.0.0.3`...: every 127.x address is this
 * host on Linux). The API counts failed authentications per address, so each test that provokes
 * them gets an address of its own and cannot exhaust another test's allowance.
 *
 * @example
 * const attacker = new AddressedCaller("127.0.0.9");
 * await attacker.call(`${stack.apiUrl}/v1/currencies`, { authorization: "Bearer guess" }); // 401, then 429
 */
export class AddressedCaller {
  readonly #agent: Agent;

  constructor(readonly address: string) {
    this.#agent = new Agent({ localAddress: address });
  }

  async call(
    url: string,
    headers: Record<string, string> = {},
    init: { method?: "GET" | "POST"; body?: string } = {},
  ): Promise<AddressedAnswer> {
    const answer = await request(url, {
      dispatcher: this.#agent,
      method: init.method ?? "GET",
      headers: init.body !== undefined ? { "content-type": "application/json", ...headers } : headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    const flat: Record<string, string> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    return { status: answer.statusCode, headers: flat, text: await answer.body.text() };
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}
