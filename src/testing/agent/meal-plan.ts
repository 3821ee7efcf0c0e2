// The scripted agent's meal plans: recipes rotated over the days, minus what the shopper excludes.
import type { Product } from "../../schemas.js";
import type { MealPlan } from "./agent.js";
import type { Recipe } from "./intents.js";
import { roundQuantity } from "../chat/selection.js";

export const MAX_PLAN_DAYS = 7;
const MEALS = ["Lunch", "Dinner"] as const;

/** Ukrainian words a shopper may exclude, with the English words the catalog uses. */
const EXCLUSION_SYNONYMS: Record<string, string[]> = {
  "м'яс": ["meat"],
  "м’яс": ["meat"],
  мяс: ["meat"],
  свин: ["pork"],
  риб: ["fish"],
  сир: ["cheese"],
  яйц: ["egg"],
  яєць: ["egg"],
  молок: ["milk", "dairy"],
  "молочн": ["dairy"],
  бекон: ["bacon", "deli"],
};

/** "no fish", "without pork and cheese", "без м'яса" → the excluded words; none when the text excludes nothing. */
export function parseExclusions(text: string): string[] {
  const lower = text.toLowerCase();
  // Written with (?:^|\s), not \b: \b knows only ASCII letters, and Ukrainian words are not.
  const match = /(?:^|\s)(?:no|without|exclude|skip|без|не хочу|не треба)\s+(.+)$/u.exec(lower);
  if (match === null) return [];
  return match[1]!
    .split(/[\s,;]+/u)
    .map((word) => word.replace(/[^\p{L}'’]/gu, ""))
    .filter((word) => word.length >= 3 && !/^(?:and|any|the|please|more|та|або)$/u.test(word));
}

/** A recipe is excluded when a word matches its names, an ingredient, or that product's name or category. */
function excludes(recipe: Recipe, words: string[], productOf: (sku: string) => Product | undefined): boolean {
  const texts = [
    ...recipe.names,
    recipe.title,
    ...recipe.ingredients.flatMap((ingredient) => {
      const product = productOf(ingredient.sku);
      return [ingredient.name, product?.name ?? "", product?.category_path ?? ""];
    }),
  ].map((text) => text.toLowerCase());
  return words.some((word) => {
    const stem = word.length > 4 ? word.slice(0, -1) : word;
    const english = Object.entries(EXCLUSION_SYNONYMS).flatMap(([prefix, terms]) => (word.startsWith(prefix) ? terms : []));
    const terms = english.length > 0 ? english : [stem.replace(/s$/, "")];
    return [stem, ...terms].some((term) => texts.some((text) => text.includes(term)));
  });
}

export interface BuiltPlan {
  plan: MealPlan;
  /** Every product of the plan with a SKU, quantities summed, in order of first use. */
  items: Array<{ sku: string; name: string; quantity: number }>;
  /** Recipes left out because of the exclusions. */
  excluded: Recipe[];
}

/** A plan of `days` days, two meals a day, the remaining recipes taken in turn. */
export function buildMealPlan(
  recipes: readonly Recipe[],
  days: number,
  exclusions: string[],
  productOf: (sku: string) => Product | undefined,
  available: (sku: string) => boolean,
): BuiltPlan | undefined {
  const excluded = recipes.filter((recipe) => excludes(recipe, exclusions, productOf));
  const usable = recipes.filter((recipe) => !excluded.includes(recipe));
  if (usable.length === 0) return undefined;
  const totals = new Map<string, { sku: string; name: string; quantity: number }>();
  const plan: MealPlan = { title: `Meal plan for ${days} day${days === 1 ? "" : "s"}`, days: [], actions: ["approve", "modify"] };
  let next = 0;
  for (let day = 1; day <= days; day++) {
    const meals = MEALS.map((name) => {
      const recipe = usable[next++ % usable.length]!;
      const items = recipe.ingredients.map((ingredient) => {
        if (!available(ingredient.sku)) return { name: ingredient.name, quantity: ingredient.quantity };
        const total = totals.get(ingredient.sku);
        if (total === undefined) totals.set(ingredient.sku, { sku: ingredient.sku, name: ingredient.name, quantity: ingredient.quantity });
        else total.quantity = roundQuantity(total.quantity + ingredient.quantity);
        return { name: ingredient.name, sku: ingredient.sku, quantity: ingredient.quantity };
      });
      return { name, recipe: recipe.title.replace(/^Ingredients for /, ""), items };
    });
    plan.days.push({ day, meals });
  }
  return { plan, items: [...totals.values()], excluded };
}
