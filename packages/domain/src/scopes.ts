/** What an API client may do. A key carries a set of these; each route demands one. */
export const SCOPES = ["operations:write", "operations:read", "accounts:read", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
