import type { OperationView } from "@accounts/domain";
import type { SubmitResult } from "../accept/acceptOperations.ts";
import type { SubmissionRefusal } from "../accept/checkSubmission.ts";
import { ApiError } from "./errors.ts";

/** The body of a 202 for an operation accepted now. */
export interface AcceptedBody {
  id: string;
  status: "accepted";
  acceptedAt: string;
}

/** The HTTP answer to one submission: a representation with its status, or an error to render. */
export type SubmissionAnswer =
  | { ok: true; status: 200 | 202; body: OperationView | AcceptedBody; replayed: boolean }
  | { ok: false; error: ApiError };

/**
 * The one mapping from an accept result to its HTTP answer, used by `POST /v1/operations` (which
 * sends it) and `POST /v1/operations/batch` (which lists it per item): 202 for an operation accepted
 * now or a replay not final yet, 200 for a final replay, 409 for a key reused with another body, 503
 * when it could not be stored. Pure: builds the error, never throws it.
 *
 * @example
 * submissionAnswer({ kind: "conflict", id: "op_01J..." }) // { ok: false, error: ApiError("idempotency_key_reused", ...) }
 */
export function submissionAnswer(result: SubmitResult): SubmissionAnswer {
  switch (result.kind) {
    case "accepted": {
      const body: AcceptedBody = {
        id: result.id,
        status: "accepted",
        acceptedAt: new Date(result.acceptedAt).toISOString(),
      };
      return { ok: true, status: 202, body, replayed: result.replayed };
    }
    case "replay":
      return { ok: true, status: result.final ? 200 : 202, body: result.view, replayed: true };
    case "conflict":
      return {
        ok: false,
        error: new ApiError(
          "idempotency_key_reused",
          `this Idempotency-Key was used for operation ${result.id} with a different body`,
        ),
      };
    case "unavailable":
      return {
        ok: false,
        error: new ApiError(
          "unavailable",
          "the operation could not be stored durably; nothing was accepted, retry later",
          { retryAfterSeconds: 1 },
        ),
      };
  }
}

/** The HTTP error of a submission refused before anything was stored (the whole request). */
export function refusalError(refusal: SubmissionRefusal): ApiError {
  switch (refusal.kind) {
    case "full":
      return new ApiError("unavailable", "the queue is nearly full; nothing was accepted, retry later", {
        retryAfterSeconds: 5,
      });
    case "invalid":
      return new ApiError("invalid_request", "the request body is invalid", { errors: refusal.errors });
  }
}
