import Database from "better-sqlite3";
import type { Product } from "../../schemas.js";
import { spellings, toLatin } from "./transliterate.js";

export interface SearchHit {
  sku: string;
  /** Reciprocal-rank-fusion score; higher is better. */
  score: number;
}

export interface SearchOptions {
  /** Most hits returned. Default 10. */
  limit?: number;
}

/**
 * Hybrid search over each tenant's catalog: a full-text arm (FTS5 bm25 over name, brand,
 * category, description and a transliterated name), a fuzzy arm (FTS5 trigram candidates scored
 * by trigram overlap, which forgives typos) and a category arm (products whose own category is a
 * word of the query: "milk" is the Milk shelf, not Milka chocolate), fused by reciprocal rank.
 * Deterministic: ties break by SKU.
 */
export interface SearchIndex {
  /** Adds or replaces products; inactive ones are removed from the index. */
  upsert(tenantId: string, products: readonly Product[]): void;
  search(tenantId: string, query: string, options?: SearchOptions): SearchHit[];
  close(): void;
}

const RRF_K = 60;
/** Ranked answers kept per index; the same queries recur across shoppers. Cleared on every upsert. */
const CACHE_SIZE = 1000;
const ARM_DEPTH = 50;
const MIN_TRIGRAM_OVERLAP = 0.34;
const FUZZY_WEIGHT = 0.6;
/**
 * Products on the shelf the query names are the thing asked for; this arm lifts them above
 * products that only mention the word ("Herring in Oil" for "oil") or share its first letters
 * ("Milka", "Eggplant").
 */
const CATEGORY_WEIGHT = 1;
// Words that say what the shopper wants to do, not what they want.
const STOP_WORDS = new Set(
  ("a an the me my some any do you have show find please i want need looking for of with and or is are " +
    "there to get buy who what which can could would like give" +
    " покажи покажіть знайди знайдіть мені у вас є чи я хочу шукаю потрібно потрібен потрібна будь ласка " +
    "дай дайте та і й з в на для якийсь якась які").split(" "),
);

/** Lower-cased words of a query with the filler removed. */
export function queryWords(query: string): string[] {
  const words = query.toLowerCase().normalize("NFKC").match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.filter((word) => word.length >= 2 && !STOP_WORDS.has(word));
}

/** A crude Ukrainian stem so "сметану" finds "сметана"; used as a prefix. */
function stem(word: string): string {
  if (/^[\u0400-\u04ff]+$/.test(word) && word.length >= 5 && /[аеиіоуяюєїйь]$/.test(word)) return word.slice(0, -1);
  return word;
}

/** The last part of a category path: "Dairy > Plant-Based Milk" → "Plant-Based Milk". */
function leafCategory(path: string | null | undefined): string {
  return path?.split(">").at(-1)?.trim() ?? "";
}

function trigrams(word: string): string[] {
  const grams: string[] = [];
  for (let index = 0; index + 3 <= word.length; index++) grams.push(word.slice(index, index + 3));
  return grams;
}

function hasCyrillic(text: string): boolean {
  return /[\u0400-\u04ff]/.test(text);
}

export function createSearchIndex(): SearchIndex {
  const db = new Database(":memory:");
  db.exec(`
    CREATE TABLE docs (id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, sku TEXT NOT NULL, UNIQUE (tenant, sku));
    CREATE VIRTUAL TABLE fts USING fts5(name, brand, category, description, alt, tokenize = 'porter unicode61 remove_diacritics 2');
    CREATE VIRTUAL TABLE tri USING fts5(text, tokenize = 'trigram remove_diacritics 1');
    CREATE VIRTUAL TABLE shelf USING fts5(leaf, tokenize = 'porter unicode61 remove_diacritics 2');
  `);
  const findDoc = db.prepare<[string, string], { id: number }>("SELECT id FROM docs WHERE tenant = ? AND sku = ?");
  const deleteDoc = db.prepare<[number]>("DELETE FROM docs WHERE id = ?");
  const deleteFts = db.prepare<[number]>("DELETE FROM fts WHERE rowid = ?");
  const deleteTri = db.prepare<[number]>("DELETE FROM tri WHERE rowid = ?");
  const deleteShelf = db.prepare<[number]>("DELETE FROM shelf WHERE rowid = ?");
  const insertDoc = db.prepare<[string, string]>("INSERT INTO docs (tenant, sku) VALUES (?, ?)");
  const insertFts = db.prepare<[number | bigint, string, string, string, string, string]>(
    "INSERT INTO fts (rowid, name, brand, category, description, alt) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const insertTri = db.prepare<[number | bigint, string]>("INSERT INTO tri (rowid, text) VALUES (?, ?)");
  const insertShelf = db.prepare<[number | bigint, string]>("INSERT INTO shelf (rowid, leaf) VALUES (?, ?)");
  const onShelf = db.prepare<[string, string], { sku: string }>(
    "SELECT d.sku FROM shelf JOIN docs d ON d.id = shelf.rowid WHERE shelf MATCH ? AND d.tenant = ?",
  );
  const fullText = db.prepare<[string, string, number], { sku: string }>(
    `SELECT d.sku FROM fts JOIN docs d ON d.id = fts.rowid
     WHERE fts MATCH ? AND d.tenant = ? ORDER BY bm25(fts, 8.0, 4.0, 3.0, 1.0, 6.0), d.sku LIMIT ?`,
  );
  const fuzzy = db.prepare<[string, string], { sku: string; text: string }>(
    `SELECT d.sku, tri.text FROM tri JOIN docs d ON d.id = tri.rowid WHERE tri MATCH ? AND d.tenant = ?`,
  );
  const skus = new Map<string, Set<string>>();
  const cache = new Map<string, SearchHit[]>();

  const upsert = db.transaction((tenantId: string, products: readonly Product[]) => {
    let known = skus.get(tenantId);
    if (known === undefined) skus.set(tenantId, (known = new Set()));
    for (const product of products) {
      const existing = findDoc.get(tenantId, product.sku);
      if (existing !== undefined) {
        deleteFts.run(existing.id);
        deleteTri.run(existing.id);
        deleteShelf.run(existing.id);
        deleteDoc.run(existing.id);
        known.delete(product.sku.toLowerCase());
      }
      if (!product.is_active) continue;
      const id = insertDoc.run(tenantId, product.sku).lastInsertRowid;
      const label = `${product.name} ${product.brand ?? ""}`;
      const alt = hasCyrillic(label) ? toLatin(label) : "";
      insertFts.run(id, product.name, product.brand ?? "", product.category_path ?? "", product.description ?? "", alt);
      insertTri.run(id, `${label} ${alt}`.toLowerCase());
      insertShelf.run(id, leafCategory(product.category_path));
      known.add(product.sku.toLowerCase());
    }
  });

  function fullTextRanks(tenantId: string, words: string[]): string[] {
    const groups = words.map((word) => {
      // Porter stems English on both sides; other words get a prefix query on a crude stem.
      const forms = new Set<string>();
      for (const spelling of spellings(word)) {
        forms.add(`"${spelling}"`);
        const stemmed = stem(spelling);
        if (stemmed !== spelling) forms.add(`"${stemmed}"*`);
      }
      return `(${[...forms].join(" OR ")})`;
    });
    return fullText.all(groups.join(" OR "), tenantId, ARM_DEPTH).map((row) => row.sku);
  }

  /**
   * Products whose own (leaf) category is named by a query word, whole words only (porter
   * stemming forgives plurals), in full-text order.
   */
  function shelfRanks(tenantId: string, words: string[], fullTextOrder: string[]): string[] {
    const match = words.map((word) => `"${word.replaceAll('"', '""')}"`).join(" OR ");
    const found = new Set(onShelf.all(match, tenantId).map((row) => row.sku));
    if (found.size === 0) return [];
    const ordered = fullTextOrder.filter((sku) => found.has(sku));
    const rest = [...found].filter((sku) => !ordered.includes(sku)).sort();
    return [...ordered, ...rest].slice(0, ARM_DEPTH);
  }

  function fuzzyRanks(tenantId: string, words: string[]): string[] {
    const perWord = words.map((word) => spellings(word).map((form) => trigrams(form)).filter((grams) => grams.length > 0));
    const all = new Set(perWord.flat(2));
    if (all.size === 0) return [];
    const match = [...all].map((gram) => `"${gram.replaceAll('"', '""')}"`).join(" OR ");
    const scored = fuzzy.all(match, tenantId).map((row) => {
      let total = 0;
      for (const variants of perWord) {
        let best = 0;
        for (const grams of variants) {
          const hits = grams.filter((gram) => row.text.includes(gram)).length;
          best = Math.max(best, hits / grams.length);
        }
        total += best;
      }
      return { sku: row.sku, overlap: total / Math.max(perWord.length, 1) };
    });
    return scored
      .filter((row) => row.overlap >= MIN_TRIGRAM_OVERLAP)
      .sort((a, b) => b.overlap - a.overlap || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))
      .slice(0, ARM_DEPTH)
      .map((row) => row.sku);
  }

  return {
    upsert(tenantId, products) {
      upsert(tenantId, products);
      cache.clear();
    },
    search(tenantId, query, options = {}) {
      const limit = options.limit ?? 10;
      const key = `${tenantId}\u0000${limit}\u0000${query}`;
      let hits = cache.get(key);
      if (hits === undefined) {
        hits = rank(tenantId, query, limit);
        if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(key, hits);
      }
      return hits.map((hit) => ({ ...hit }));
    },
    close() {
      db.close();
    },
  };

  function rank(tenantId: string, query: string, limit: number): SearchHit[] {
    const trimmed = query.trim().toLowerCase();
    const words = queryWords(query);
    const arms: Array<{ weight: number; skus: string[] }> = [];
    // A SKU typed as the whole query is an exact hit (SKUs are matched case-insensitively).
    const exact = skus.get(tenantId)?.has(trimmed) === true ? trimmed : undefined;
    if (exact !== undefined) arms.push({ weight: 2, skus: [findSkuCase(tenantId, exact)] });
    if (words.length > 0) {
      const fullText = fullTextRanks(tenantId, words);
      arms.push({ weight: 1, skus: fullText });
      arms.push({ weight: CATEGORY_WEIGHT, skus: shelfRanks(tenantId, words, fullText) });
      // The fuzzy arm only reorders what full text finds, and rescues typos it misses.
      arms.push({ weight: FUZZY_WEIGHT, skus: fuzzyRanks(tenantId, words) });
    }
    const scores = new Map<string, number>();
    for (const arm of arms) {
      arm.skus.forEach((sku, rank) => scores.set(sku, (scores.get(sku) ?? 0) + arm.weight / (RRF_K + rank + 1)));
    }
    return [...scores]
      .map(([sku, score]) => ({ sku, score }))
      .sort((a, b) => b.score - a.score || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))
      .slice(0, limit);
  }

  function findSkuCase(tenantId: string, lower: string): string {
    const row = db.prepare<[string, string], { sku: string }>("SELECT sku FROM docs WHERE tenant = ? AND lower(sku) = ?").get(tenantId, lower);
    return row?.sku ?? lower;
  }
}
