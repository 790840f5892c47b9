import {
  allQueues,
  type Catalog,
  closeSettled,
  maintenanceQueue,
  type RedisClient,
  webhooksQueue,
} from "@accounts/queue";
import { Queue } from "bullmq";
import type { OpenQueue } from "../metrics/queueDepth.ts";

export interface CatalogQueues {
  readonly queues: readonly OpenQueue[];
  close(): Promise<void>;
}

/**
 * Every queue of the catalog (each partition, webhooks, maintenance) as a BullMQ Queue over one
 * shared connection: the dashboard shows them and the depth sampler counts them. Opening a Queue
 * only prepares commands; nothing is read or written until asked.
 *
 * @example
 * const catalogQueues = openCatalogQueues(queueConnection, catalog);
 * // on shutdown: await catalogQueues.close();
 */
export function openCatalogQueues(connection: RedisClient, catalog: Catalog): CatalogQueues {
  const webhooks = webhooksQueue(catalog).name;
  const maintenance = maintenanceQueue(catalog).name;
  const queues = allQueues(catalog).map(
    (ref): OpenQueue => ({
      name: ref.name,
      kind: ref.name === webhooks ? "webhooks" : ref.name === maintenance ? "maintenance" : "partition",
      queue: new Queue(ref.name, { connection, prefix: ref.prefix }),
    }),
  );
  return {
    queues,
    async close() {
      await Promise.all(queues.map((open) => closeSettled(open.queue)));
    },
  };
}
