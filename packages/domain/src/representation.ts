import type { Rejection } from "./schemas.ts";

/** A balance as responses show it: decimal strings at the currency's scale. */
export interface BalanceView {
  userId: string;
  currency: string;
  available: string;
  reserved: string;
  total: string;
  version: number;
}

export type OperationStatus = "accepted" | "applied" | "rejected" | "failed";

/** The representation of an operation: what `GET /v1/operations/{id}` and webhooks carry. */
export interface OperationView {
  id: string;
  type: string;
  status: OperationStatus;
  request?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  acceptedAt: string;
  finishedAt?: string;
  balances?: BalanceView[];
  rejection?: Rejection;
  problem?: { code: string; detail: string };
}

export interface FinalOperation {
  id: string;
  type: string;
  status: "applied" | "rejected";
  request: Record<string, unknown>;
  rejection: Rejection | null;
  balances: BalanceView[] | null;
  acceptedAt: Date;
  finishedAt: Date;
}

/**
 * The final representation of an applied or rejected operation.
 *
 * @example
 * finalView(row) // { id: "op_...", type: "reserve", status: "applied", request: {...}, balances: [...], ... }
 */
export function finalView(op: FinalOperation): OperationView {
  const metadata = op.request.metadata;
  return {
    id: op.id,
    type: op.type,
    status: op.status,
    request: op.request,
    ...(metadata && typeof metadata === "object" ? { metadata: metadata as Record<string, unknown> } : {}),
    acceptedAt: op.acceptedAt.toISOString(),
    finishedAt: op.finishedAt.toISOString(),
    ...(op.status === "applied" ? { balances: op.balances ?? [] } : {}),
    ...(op.rejection ? { rejection: op.rejection } : {}),
  };
}
