/** The baseline's one table: a balance per (user, currency), nothing else. */
export const BASELINE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS baseline_accounts (
    user_id text COLLATE "C" NOT NULL, currency text COLLATE "C" NOT NULL,
    available numeric NOT NULL DEFAULT 0, reserved numeric NOT NULL DEFAULT 0, version bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, currency))`;
