// Generated from the API's OpenAPI document by packages/client/scripts/apiTypes.ts: do not edit.
// Regenerate: npx vitest run packages/client/src/test/methods.int.test.ts -t "wire types" -u (starts the API).

export interface paths {
  "/v1/accounts/{userId}/balances": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          userId: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              balances: components["schemas"]["AccountBalance"][];
              userId: string;
            };
          };
        };
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/accounts/{userId}/balances/{currency}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get: {
      parameters: {
        query?: {
          at?: string;
        };
        header?: never;
        path: {
          currency: string;
          userId: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["AccountBalance"] & {
              userId: string;
            };
          };
        };
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/accounts/{userId}/entries": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get: {
      parameters: {
        query?: {
          currency?: string;
          cursor?: string;
          limit?: number;
        };
        header?: never;
        path: {
          userId: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              entries: components["schemas"]["Entry"][];
              nextCursor: string | null;
            };
          };
        };
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/currencies": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              currencies: components["schemas"]["Currency"][];
            };
          };
        };
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/operations": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post: {
      parameters: {
        query?: never;
        header?: {
          "idempotency-key"?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json":
            | {
                account: {
                  currency: string;
                  userId: string;
                };
                amount: string;
                callbackUrl?: string;
                metadata?: {
                  [key: string]: unknown;
                };
                /** @enum {string} */
                type: "credit";
              }
            | {
                account: {
                  currency: string;
                  userId: string;
                };
                amount: string;
                /**
                 * @default available
                 * @enum {string}
                 */
                bucket?: "available" | "reserved";
                callbackUrl?: string;
                metadata?: {
                  [key: string]: unknown;
                };
                /** @enum {string} */
                type: "debit";
              }
            | {
                account: {
                  currency: string;
                  userId: string;
                };
                amount: string;
                callbackUrl?: string;
                metadata?: {
                  [key: string]: unknown;
                };
                /** @enum {string} */
                type: "reserve";
              }
            | {
                account: {
                  currency: string;
                  userId: string;
                };
                amount: string;
                callbackUrl?: string;
                metadata?: {
                  [key: string]: unknown;
                };
                /** @enum {string} */
                type: "release";
              }
            | {
                callbackUrl?: string;
                metadata?: {
                  [key: string]: unknown;
                };
                postings: {
                  amount: string;
                  currency: string;
                  from: {
                    /** @enum {string} */
                    bucket: "available" | "reserved";
                    userId: string;
                  };
                  to: {
                    /** @enum {string} */
                    bucket: "available" | "reserved";
                    userId: string;
                  };
                }[];
                /** @enum {string} */
                type: "transfer";
              };
        };
      };
      responses: {
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Operation"];
          };
        };
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Accepted"] | components["schemas"]["Operation"];
          };
        };
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/operations/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get: {
      parameters: {
        query?: {
          wait?: number | null;
        };
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": components["schemas"]["Operation"];
          };
        };
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/operations/{id}/deliveries": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              deliveries: components["schemas"]["DeliveryAttempt"][];
            };
          };
        };
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/v1/operations/batch": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          "application/json": components["schemas"]["BatchRequest"];
        };
      };
      responses: {
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/json": {
              results: (
                | {
                    id: string;
                    replayed: boolean;
                    /** @enum {string} */
                    status: "accepted" | "applied" | "rejected" | "failed";
                  }
                | {
                    error: components["schemas"]["Problem"];
                  }
              )[];
            };
          };
        };
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            "application/problem+json": components["schemas"]["Problem"];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    Accepted: {
      acceptedAt: string;
      id: string;
      /** @enum {string} */
      status: "accepted";
    };
    AccountBalance: {
      available: string;
      currency: string;
      reserved: string;
      total: string;
      updatedAt: string | null;
      version: number;
    };
    Balance: {
      available: string;
      currency: string;
      reserved: string;
      total: string;
      userId: string;
      version: number;
    };
    BatchRequest: {
      operations: (
        | {
            account: {
              currency: string;
              userId: string;
            };
            amount: string;
            callbackUrl?: string;
            idempotencyKey?: string;
            metadata?: {
              [key: string]: unknown;
            };
            /** @enum {string} */
            type: "credit";
          }
        | {
            account: {
              currency: string;
              userId: string;
            };
            amount: string;
            /**
             * @default available
             * @enum {string}
             */
            bucket?: "available" | "reserved";
            callbackUrl?: string;
            idempotencyKey?: string;
            metadata?: {
              [key: string]: unknown;
            };
            /** @enum {string} */
            type: "debit";
          }
        | {
            account: {
              currency: string;
              userId: string;
            };
            amount: string;
            callbackUrl?: string;
            idempotencyKey?: string;
            metadata?: {
              [key: string]: unknown;
            };
            /** @enum {string} */
            type: "reserve";
          }
        | {
            account: {
              currency: string;
              userId: string;
            };
            amount: string;
            callbackUrl?: string;
            idempotencyKey?: string;
            metadata?: {
              [key: string]: unknown;
            };
            /** @enum {string} */
            type: "release";
          }
        | {
            callbackUrl?: string;
            idempotencyKey?: string;
            metadata?: {
              [key: string]: unknown;
            };
            postings: {
              amount: string;
              currency: string;
              from: {
                /** @enum {string} */
                bucket: "available" | "reserved";
                userId: string;
              };
              to: {
                /** @enum {string} */
                bucket: "available" | "reserved";
                userId: string;
              };
            }[];
            /** @enum {string} */
            type: "transfer";
          }
      )[];
    };
    Currency: {
      code: string;
      scale: number;
    };
    DeliveryAttempt: {
      at: string;
      attempt: number;
      durationMs: number;
      error?: string;
      statusCode?: number;
    };
    Entry: {
      amount: string;
      balanceAfter: string;
      /** @enum {string} */
      bucket: "available" | "reserved";
      createdAt: string;
      currency: string;
      operationId: string;
      version: number;
    };
    Operation: {
      acceptedAt: string;
      balances?: components["schemas"]["Balance"][];
      finishedAt?: string;
      id: string;
      metadata?: {
        [key: string]: unknown;
      };
      problem?: {
        code: string;
        detail: string;
      };
      rejection?: {
        code: string;
        duplicateOf?: string;
        message: string;
      };
      request?: {
        [key: string]: unknown;
      };
      /** @enum {string} */
      status: "accepted" | "applied" | "rejected" | "failed";
      type: string;
    };
    Problem: {
      code: string;
      detail: string;
      errors?: {
        message: string;
        path: string;
      }[];
      requestId: string;
      status: number;
      title: string;
      type: string;
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
