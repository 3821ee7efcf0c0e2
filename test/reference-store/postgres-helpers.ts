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
