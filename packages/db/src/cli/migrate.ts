import { migrateToLatest } from "../migrator.ts";

// `npm run migrate`: applies pending migrations to DATABASE_URL.
const url = process.env.DATABASE_URL;
if (!url) {
  console.error(
    "DATABASE_URL is not set. Example: DATABASE_URL=postgres://postgres@127.0.0.1:5432/accounts npm run migrate",
  );
  process.exit(2);
}
try {
  const { applied } = await migrateToLatest(url);
  console.log(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
