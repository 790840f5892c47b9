import { createDb, createPool, insertClient } from "@accounts/db";
import { generateApiKey, generateWebhookSecret, hashApiKey, newClientId, type Scope } from "@accounts/domain";
import type { AppStack } from "@accounts/tests/harness";

export interface TestClient {
  id: string;
  name: string;
  key: string;
  scopes: readonly Scope[];
  webhookSecret: string;
}

/**
 * Registers API clients in the stack's database, as the operator command does (only the key's hash
 * is stored). The API reloads its clients on an unknown key, so the keys work at once.
 *
 * @example
 * const [reader] = await createApiClients(stack, [{ name: "reader", scopes: ["accounts:read"] }]);
 */
export async function createApiClients(
  stack: AppStack,
  specs: readonly { name: string; scopes: readonly Scope[] }[],
): Promise<TestClient[]> {
  const db = createDb(createPool(stack.databaseUrl, { max: 1 }));
  try {
    const clients: TestClient[] = [];
    for (const spec of specs) {
      const { key, prefix } = generateApiKey();
      const client = {
        id: newClientId(),
        name: spec.name,
        key,
        scopes: spec.scopes,
        webhookSecret: generateWebhookSecret(),
      };
      await insertClient(db, {
        id: client.id,
        name: client.name,
        keyHash: hashApiKey(key),
        keyPrefix: prefix,
        scopes: client.scopes,
        webhookSecret: client.webhookSecret,
      });
      clients.push(client);
    }
    return clients;
  } finally {
    await db.destroy();
  }
}

/** One client; see {@link createApiClients}. */
export async function createApiClient(
  stack: AppStack,
  spec: { name: string; scopes: readonly Scope[] },
): Promise<TestClient> {
  const [client] = await createApiClients(stack, [spec]);
  if (!client) throw new Error("no client created");
  return client;
}
