import type { SqlRunner } from "../../src/db/sql.ts";

/**
 * Everything that defines the public schema, as plain sorted rows: tables and columns with types, defaults and
 * nullability (a view's columns too); indexes; constraints; enum types with their labels; views with their
 * definitions. Prisma's own bookkeeping table is left out.
 */
export async function catalog(sql: SqlRunner) {
  const columns = await sql.query(
    `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, character_maximum_length,
            numeric_precision, datetime_precision
     FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
     ORDER BY table_name, column_name`,
  );
  const indexes = await sql.query(
    `SELECT tablename, indexname, indexdef FROM pg_indexes
     WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY tablename, indexname`,
  );
  const constraints = await sql.query(
    `SELECT rel.relname AS table_name, con.conname, con.contype, pg_get_constraintdef(con.oid) AS def
     FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid JOIN pg_namespace n ON n.oid = rel.relnamespace
     WHERE n.nspname = 'public' AND rel.relname <> '_prisma_migrations' ORDER BY rel.relname, con.conname`,
  );
  const enums = await sql.query(
    `SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS labels
     FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = 'public' GROUP BY t.typname ORDER BY t.typname`,
  );
  const views = await sql.query(
    `SELECT viewname, btrim(regexp_replace(definition, '\\s+', ' ', 'g')) AS definition
       FROM pg_views WHERE schemaname = 'public' ORDER BY viewname`,
  );
  return { columns, indexes, constraints, enums, views };
}
