// Reads the PostgreSQL store's tables directly, to check what the store says against what it holds.
import type { TestSchema } from "./servers.js";

/** Every (store, sku) whose reserved stock is not the sum of its cart lines, or is out of bounds. */
export async function postgresReservationMismatches(sql: TestSchema["sql"]): Promise<unknown[]> {
  return sql(`
    SELECT s.store_id, s.sku, s.on_hand_milli, s.reserved_milli, COALESCE(SUM(l.quantity_milli), 0)::bigint AS in_carts
    FROM stock s
    LEFT JOIN carts c ON c.store_id = s.store_id
    LEFT JOIN cart_lines l ON l.cart_id = c.cart_id AND l.sku = s.sku
    GROUP BY s.store_id, s.sku
    HAVING s.reserved_milli != COALESCE(SUM(l.quantity_milli), 0) OR s.reserved_milli < 0 OR s.reserved_milli > s.on_hand_milli`);
}

/** Drops the named test triggers, empties the store's tables and seeds them again with `seed`. */
export async function reseedPostgresCatalog(
  sql: TestSchema["sql"],
  seed: () => Promise<unknown>,
  triggers: readonly (readonly [name: string, table: string])[] = [],
): Promise<void> {
  for (const [name, table] of triggers) await sql(`DROP TRIGGER IF EXISTS ${name} ON ${table}`);
  await sql("DELETE FROM cart_lines; DELETE FROM carts; DELETE FROM stock; DELETE FROM prices; DELETE FROM products; DELETE FROM stores");
  await seed();
}

/** A shopper's cart lines as `[sku, thousandths]`, in the order they were added. */
export async function postgresCartLines(sql: TestSchema["sql"], sessionId = "alice"): Promise<[string, number][]> {
  const rows = await sql<{ sku: string; milli: number }>(
    "SELECT l.sku, l.quantity_milli AS milli FROM carts c JOIN cart_lines l USING (cart_id) WHERE c.session_id = $1 ORDER BY l.line_id",
    [sessionId],
  );
  return rows.map((row) => [row.sku, row.milli]);
}

/** The thousandths of `sku` reserved in store-1; `undefined` when it has no stock row. */
export async function postgresReserved(sql: TestSchema["sql"], sku: string): Promise<number | undefined> {
  return (await sql<{ milli: number }>("SELECT reserved_milli AS milli FROM stock WHERE store_id = 'store-1' AND sku = $1", [sku]))[0]?.milli;
}
