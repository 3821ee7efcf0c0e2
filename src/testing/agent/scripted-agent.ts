import type { ProductItem } from "../../schemas.js";
import type { ProductOffer } from "../../schemas.js";
import type { Agent, AgentTurn, QuickReply } from "./agent.js";
import { MAX_PLAN_DAYS, buildMealPlan, parseExclusions } from "./meal-plan.js";
import { formatPrice, formatQuantity, leafCategory, lowerQuantity, rejectionText } from "./agent-replies.js";
import { parseIntent, type Intent, type Recipe, type Target } from "./intents.js";
import { queryWords } from "../search/search-index.js";
import { toProductItem, type CartOutcome } from "./tools.js";
import { spellings, toLatin } from "../search/transliterate.js";

export type { Recipe } from "./intents.js";

/** What `createScriptedAgent` takes. */
export interface ScriptedAgentOptions {
  /** Recipes the agent can turn into ingredient checklists (e.g. `fixtures/recipes.json`); checked at setup. Default: none. */
  recipes?: readonly Recipe[];
}

interface Memory {
  lastShown?: ProductItem[];
  /** The product most recently added or changed in this conversation: "it" in "remove it". */
  lastTouched?: string;
  /** Products were shown after that change, so "add it" means the first of them. */
  shownSinceTouch?: boolean;
  checklist?: { recipeId: string; quantities: Record<string, number> };
  /** The meal plan waiting for approve or modify. */
  mealPlan?: { days: number; exclusions: string[]; items: Array<{ sku: string; name: string; quantity: number }> };
}

function show(memory: Memory, items: ProductItem[]): void {
  memory.lastShown = items;
  memory.shownSinceTouch = true;
}

/** Follows a confirmed change, so "it" keeps pointing at what the shopper last touched. */
function remember(memory: Memory, outcome: Extract<CartOutcome, { ok: true }>): void {
  const { action, sku } = outcome.change;
  if ((action === "item_selected" || action === "quantity_updated") && sku !== undefined) {
    memory.lastTouched = sku;
    memory.shownSinceTouch = false;
  } else if (action === "cart_cleared" || sku === memory.lastTouched) {
    delete memory.lastTouched;
  }
}

const MAX_CHOICES = 4;
const MAX_ALTERNATIVES = 4;

/**
 * A deterministic agent that understands a fixed set of English and Ukrainian phrasings:
 * search, add, remove, change quantity, clear, show the cart, recipes, and rejections explained
 * as the protocol documents.
 *
 * @example
 * const stub = await createVizochokStub({ tenants, agent: createScriptedAgent({ recipes }) });
 */
export function createScriptedAgent(options: ScriptedAgentOptions = {}): Agent {
  const recipes = toRecipes(options.recipes);
  return {
    async respond(turn) {
      const memory = turn.conversation.memory as Memory;
      switch (turn.input.type) {
        case "message":
          return handle(turn, memory, parseIntent(turn.input.text, recipes));
        case "quick_reply":
          return handle(turn, memory, parseIntent(turn.input.value, recipes));
        case "add_to_cart":
          return addAndReport(turn, memory, turn.input.sku, turn.input.quantity ?? 1);
        case "checklist_submit":
          return submitChecklist(turn, memory, turn.input.skus);
        case "meal_plan_approve":
          return approveMealPlan(turn, memory);
        case "meal_plan_modify":
          return modifyMealPlan(turn, memory, turn.input.text);
      }
    },
  };

  async function handle(turn: AgentTurn, memory: Memory, intent: Intent): Promise<void> {
    const { tools, reply } = turn;
    switch (intent.kind) {
      case "greet":
        reply.say("Hi! I can find products, add them to your cart and list ingredients for a recipe. Try “show me milk”.");
        return;
      case "search":
        return search(turn, memory, intent.query);
      case "show_cart": {
        const cart = tools.cart();
        if (cart.item_count === 0) return reply.say("Your cart is empty.");
        const lines = cart.selected_items.map((item) => `${item.name} × ${item.quantity}`).join(", ");
        return reply.say(`Your cart has ${cart.item_count} item(s): ${lines}. Total: ${formatPrice(cart.total)}.`);
      }
      case "clear": {
        const outcome = await tools.clear();
        if (outcome.ok) {
          remember(memory, outcome);
          reply.say("Done — your cart is now empty.");
          return reply.cartChanged(outcome);
        }
        return reply.say(rejectionText(outcome.reason, "your cart", undefined));
      }
      case "recipe":
        return showRecipe(turn, memory, intent.recipe);
      case "meal_plan":
        return showMealPlan(turn, memory, intent.days, []);
      case "details":
        return showDetails(turn, memory, intent.target);
      case "add": {
        const sku = await resolveForAdd(turn, memory, intent.target, intent.quantity ?? 1);
        // A typed add asks the store for the current price first (unless this turn just did).
        if (sku !== undefined) await addAndReport(turn, memory, sku, intent.quantity ?? 1, true);
        return;
      }
      case "remove": {
        const sku = resolveInCart(turn, memory, intent.target);
        if (sku === undefined) return reply.say(`I couldn't find ${describe(intent.target)} in your cart.`);
        const outcome = await tools.remove(sku);
        return report(turn, memory, outcome, sku, undefined, (name) => `Removed ${name} from your cart.`);
      }
      case "set_quantity": {
        const sku = resolveInCart(turn, memory, intent.target);
        if (sku === undefined) return reply.say(`I couldn't find ${describe(intent.target)} in your cart.`);
        const outcome = await tools.setQuantity(sku, intent.quantity);
        return report(turn, memory, outcome, sku, intent.quantity, (name) => `Changed ${name} to ${intent.quantity}.`);
      }
    }
  }

  async function search(turn: AgentTurn, memory: Memory, query: string): Promise<void> {
    const result = await turn.tools.search(query);
    if (result.failed) return turn.reply.say("Sorry, I couldn't load the products from the store right now. Please try again.");
    if (result.found.length === 0) return turn.reply.say(`I couldn't find anything for “${query}”. Could you try other words?`);
    if (result.items.length === 0) return turn.reply.say(`I found products for “${query}”, but none of them is in stock right now.`);
    show(memory, result.items);
    turn.reply.say(`Here is what I found for “${query}”:`);
    turn.reply.productCards(result.items);
  }

  async function showRecipe(turn: AgentTurn, memory: Memory, recipe: Recipe): Promise<void> {
    const check = await turn.tools.checkProducts(recipe.ingredients.map((ingredient) => ingredient.sku));
    if (check.failed) return turn.reply.say("Sorry, I couldn't load the products from the store right now. Please try again.");
    memory.checklist = { recipeId: recipe.id, quantities: Object.fromEntries(recipe.ingredients.map((i) => [i.sku, i.quantity])) };
    const items = recipe.ingredients.map((ingredient) => {
      const unit = turn.tools.product(ingredient.sku)?.unit;
      return {
        name: ingredient.name,
        sku: ingredient.sku,
        quantity: ingredient.quantity,
        ...(unit !== undefined ? { unit } : {}),
        checked: check.offers.get(ingredient.sku)?.in_stock === true,
      };
    });
    const missing = items.filter((item) => !item.checked).length;
    turn.reply.say(
      `Here is what you need — untick what you already have and I'll add the rest.` +
        (missing > 0 ? ` ${missing} ingredient(s) are not available in this store right now.` : ""),
    );
    turn.reply.checklist(recipe.title, items);
  }

  async function showMealPlan(turn: AgentTurn, memory: Memory, askedDays: number, exclusions: string[]): Promise<void> {
    const days = Math.min(MAX_PLAN_DAYS, Math.max(1, Math.round(askedDays) || 1));
    if (recipes.length === 0) return turn.reply.say("I have no recipes to plan meals with yet.");
    const productOf = (sku: string) => turn.tools.product(sku);
    const draft = buildMealPlan(recipes, days, exclusions, productOf, () => true);
    if (draft === undefined) {
      return turn.reply.say(`Every recipe I know has ${exclusions.join(", ")}. Tell me what else to leave out instead.`);
    }
    // Live prices for every product the plan uses, in batches the products webhook expects.
    const skus = draft.items.map((item) => item.sku);
    const offers = new Map<string, ProductOffer>();
    for (let index = 0; index < skus.length; index += 10) {
      const check = await turn.tools.checkProducts(skus.slice(index, index + 10));
      if (check.failed) return turn.reply.say("Sorry, I couldn't load the products from the store right now. Please try again.");
      for (const [sku, offer] of check.offers) offers.set(sku, offer);
    }
    const built = buildMealPlan(recipes, days, exclusions, productOf, (sku) => offers.get(sku)?.in_stock === true)!;
    memory.mealPlan = { days, exclusions, items: built.items };
    const total = built.items.reduce((sum, item) => {
      const offer = offers.get(item.sku)!;
      return sum + (offer.promo_price ?? offer.price) * item.quantity;
    }, 0);
    const leftOut = built.excluded.length > 0 ? ` Left out: ${built.excluded.map((recipe) => recipe.names[0]).join(", ")}.` : "";
    turn.reply.say(
      `Here is a ${days}-day meal plan: ${days * 2} meals from ${built.items.length} products, about ${formatPrice(total)}.${leftOut}` +
        " Approve it and I'll add the products to your cart, or tell me what to change (for example “no pork”).",
    );
    turn.reply.mealPlan(built.plan);
  }

  async function approveMealPlan(turn: AgentTurn, memory: Memory): Promise<void> {
    const plan = memory.mealPlan;
    if (plan === undefined) return turn.reply.say("There is no meal plan to approve yet. Ask me for a “meal plan for 3 days”.");
    delete memory.mealPlan;
    const added: string[] = [];
    const refused: string[] = [];
    const confirmed: Array<Extract<CartOutcome, { ok: true }>> = [];
    for (const item of plan.items) {
      const outcome = await turn.tools.add(item.sku, item.quantity);
      const name = turn.tools.product(item.sku)?.name ?? item.name;
      if (outcome.ok) {
        remember(memory, outcome);
        confirmed.push(outcome);
        added.push(name);
      } else {
        refused.push(rejectionText(outcome.reason, name, item.quantity));
      }
    }
    const parts = [added.length > 0 ? `Added ${added.length} product(s) from the meal plan: ${added.join(", ")}.` : "Nothing from the plan was added."];
    turn.reply.say([...parts, ...refused].join(" "));
    for (const outcome of confirmed) turn.reply.cartChanged(outcome);
  }

  function modifyMealPlan(turn: AgentTurn, memory: Memory, text: string): Promise<void> {
    const days = /(\d+)\s*(?:days?|дн\S*|день)/u.exec(text.toLowerCase());
    const exclusions = [...(memory.mealPlan?.exclusions ?? []), ...parseExclusions(text)];
    return showMealPlan(turn, memory, days ? Number(days[1]) : (memory.mealPlan?.days ?? 3), exclusions);
  }

  /** "tell me more about …": the catalog's facts with the store's live price, and one card. */
  async function showDetails(turn: AgentTurn, memory: Memory, target: Target): Promise<void> {
    const sku = resolveProduct(turn, memory, target);
    const product = sku === undefined ? undefined : turn.tools.product(sku);
    if (product === undefined) return turn.reply.say(`I couldn't find ${describe(target)} in the catalog.`);
    const check = await turn.tools.checkProducts([product.sku]);
    if (check.failed) return turn.reply.say("Sorry, I couldn't load the products from the store right now. Please try again.");
    const step = product.quantity_step ?? 1;
    const facts = [
      `${product.name}${product.brand ? ` by ${product.brand}` : ""}.`,
      product.category_path ? `Category: ${product.category_path}.` : "",
      `Sold per ${product.unit}${step !== 1 ? ` in steps of ${step}` : ""}.`,
      product.description ?? "",
    ].filter(Boolean);
    const offer = check.offers.get(product.sku);
    if (offer === undefined || !offer.in_stock) return turn.reply.say([...facts, "It isn't available in this store right now."].join(" "));
    const price =
      offer.promo_price !== undefined
        ? `Price: ${formatPrice(offer.promo_price)} instead of ${formatPrice(offer.price)}${offer.promo_label ? ` (${offer.promo_label})` : ""}.`
        : `Price: ${formatPrice(offer.price)}.`;
    turn.reply.say([...facts, price].join(" "));
    const card = toProductItem(product, offer);
    show(memory, [card]);
    turn.reply.productCards([card]);
  }

  function resolveProduct(turn: AgentTurn, memory: Memory, target: Target): string | undefined {
    if (target.kind === "sku") return target.sku;
    const shown = memory.lastShown ?? [];
    if (target.kind === "it") return memory.lastTouched ?? shown[0]?.sku;
    if (target.kind === "ordinal") return (target.index < 0 ? shown[shown.length + target.index] : shown[target.index])?.sku;
    const words = queryWords(target.text);
    const fromShown = shown.filter((item) => matchesAll(words, item));
    if (fromShown.length === 1) return fromShown[0]!.sku;
    // The closest name among the best matches: fewest words beyond the ones asked for, then the lowest SKU.
    const ranked = turn.tools.rank(target.text, 10);
    const full = ranked.flatMap((sku) => {
      const product = turn.tools.product(sku);
      return product !== undefined && matchesAll(words, product) ? [product] : [];
    });
    if (full.length === 0) return ranked[0];
    const extra = (item: { name: string }) => nameWords(item).filter((word) => !words.some((w) => spellings(w).some((s) => word.startsWith(s)))).length;
    return [...full].sort((a, b) => extra(a) - extra(b) || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))[0]!.sku;
  }

  async function submitChecklist(turn: AgentTurn, memory: Memory, skus: string[]): Promise<void> {
    const quantities = memory.checklist?.quantities ?? {};
    const added: string[] = [];
    const refused: string[] = [];
    const confirmed: Array<Extract<CartOutcome, { ok: true }>> = [];
    for (const sku of skus) {
      const quantity = quantities[sku] ?? 1;
      const outcome = await turn.tools.add(sku, quantity);
      const name = turn.tools.product(sku)?.name ?? sku;
      if (outcome.ok) {
        remember(memory, outcome);
        confirmed.push(outcome);
        added.push(name);
      } else {
        refused.push(rejectionText(outcome.reason, name, quantity));
      }
    }
    delete memory.checklist;
    const parts = [added.length > 0 ? `Added ${added.length} item(s): ${added.join(", ")}.` : "Nothing was added."];
    turn.reply.say([...parts, ...refused].join(" "));
    for (const outcome of confirmed) turn.reply.cartChanged(outcome);
  }

  async function addAndReport(turn: AgentTurn, memory: Memory, sku: string, quantity: number, fresh = false): Promise<void> {
    const outcome = await turn.tools.add(sku, quantity, { fresh });
    const unit = turn.tools.product(sku)?.unit;
    await report(turn, memory, outcome, sku, quantity, (name) => `Added ${formatQuantity(quantity, unit)} ${name} to your cart.`);
  }

  /** Confirms a change, or explains a refusal the way the protocol documents. */
  async function report(turn: AgentTurn, memory: Memory, outcome: CartOutcome, sku: string, quantity: number | undefined, done: (name: string) => string) {
    const { reply, tools } = turn;
    const product = tools.product(sku);
    const name = product?.name ?? sku;
    if (outcome.ok) {
      remember(memory, outcome);
      reply.say(done(name));
      return reply.cartChanged(outcome);
    }
    const text = rejectionText(outcome.reason, name, quantity);
    switch (outcome.reason) {
      case "out_of_stock": {
        const alternatives = await inStockAlternatives(turn, sku);
        if (alternatives.length === 0) return reply.say(`${text} I found no alternatives in stock.`);
        show(memory, alternatives);
        reply.say(`${text} Here are alternatives from ${leafCategory(product?.category_path)}:`);
        return reply.productCards(alternatives);
      }
      case "quantity_exceeded": {
        const lower = lowerQuantity(product, quantity ?? 1);
        reply.say(`${text} How about ${lower}?`);
        return reply.quickReplies([{ label: `Add ${lower}`, value: `add ${lower} of ${sku}` }]);
      }
      case "product_not_found": {
        reply.say(text);
        const words = product?.name ?? sku;
        return reply.quickReplies([{ label: "Search again", value: `show me ${words}` }]);
      }
      default:
        return reply.say(text);
    }
  }

  async function inStockAlternatives(turn: AgentTurn, sku: string): Promise<ProductItem[]> {
    const category = turn.tools.product(sku)?.category_path;
    if (category === undefined) return [];
    const candidates = turn.tools.productsInCategory(category).filter((product) => product.sku !== sku).slice(0, 10);
    if (candidates.length === 0) return [];
    const check = await turn.tools.checkProducts(candidates.map((product) => product.sku));
    return candidates
      .filter((product) => check.offers.get(product.sku)?.in_stock === true)
      .slice(0, MAX_ALTERNATIVES)
      .map((product) => toProductItem(product, check.offers.get(product.sku)!));
  }

  /**
   * Which product "add …" means. Words matching products of several brands are ambiguous and
   * answered with quick replies; within one brand the closest name wins, then the lowest SKU.
   */
  async function resolveForAdd(turn: AgentTurn, memory: Memory, target: Target, quantity: number): Promise<string | undefined> {
    const shown = memory.lastShown ?? [];
    if (target.kind === "sku") return target.sku;
    if (target.kind === "it" && memory.lastTouched !== undefined && memory.shownSinceTouch !== true) return memory.lastTouched;
    if (target.kind === "it" || target.kind === "ordinal") {
      const index = target.kind === "it" ? 0 : target.index < 0 ? shown.length + target.index : target.index;
      const item = shown[index];
      if (item === undefined) {
        turn.reply.say(shown.length === 0 ? "Which product do you mean? Search for it first, e.g. “show me milk”." : `I showed only ${shown.length} product(s).`);
        return undefined;
      }
      return item.sku;
    }
    const words = queryWords(target.text);
    const fromShown = shown.filter((item) => matchesAll(words, item));
    if (fromShown.length === 1) return fromShown[0]!.sku;
    const result = await turn.tools.search(target.text);
    if (result.failed) {
      turn.reply.say("Sorry, I couldn't load the products from the store right now. Please try again.");
      return undefined;
    }
    if (result.items.length === 0) {
      turn.reply.say(`I couldn't find “${target.text}” in stock. Shall I search again?`);
      turn.reply.quickReplies([{ label: "Search again", value: `show me ${target.text}` }]);
      return undefined;
    }
    const full = result.items.filter((item) => matchesAll(words, item));
    const brands = new Set(full.map((item) => item.brand ?? ""));
    if (full.length > 0 && brands.size === 1) {
      const extra = (item: ProductItem) => nameWords(item).filter((word) => !words.some((w) => spellings(w).some((s) => word.startsWith(s)))).length;
      const best = [...full].sort((a, b) => extra(a) - extra(b) || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))[0]!;
      return best.sku;
    }
    const choices = (full.length > 0 ? full : result.items).slice(0, MAX_CHOICES);
    show(memory, choices);
    turn.reply.say(`I found several products for “${target.text}”. Which one do you mean?`);
    turn.reply.quickReplies(choices.map((item): QuickReply => ({ label: `${item.name} — ${formatPrice(item.promo_price ?? item.price)}`, value: `add ${quantity} of ${item.sku}` })));
    return undefined;
  }

  function resolveInCart(turn: AgentTurn, memory: Memory, target: Target): string | undefined {
    const cart = turn.tools.cart().selected_items;
    if (target.kind === "sku") return target.sku;
    // "it" is what the shopper last added or changed; the first card shown only when nothing was.
    if (target.kind === "it" && memory.lastTouched !== undefined) return memory.lastTouched;
    if (target.kind === "it" || target.kind === "ordinal") {
      const shown = memory.lastShown ?? [];
      const index = target.kind === "it" ? 0 : target.index;
      return (index < 0 ? shown[shown.length + index] : shown[index])?.sku;
    }
    const words = queryWords(target.text);
    const inCart = cart.filter((item) => matchesAll(words, item));
    if (inCart.length > 0) return inCart[0]!.sku;
    // Not in the mirror: ask the store anyway with the best catalog match; it answers not_in_cart.
    return turn.tools.rank(target.text, 1)[0];
  }
}

function nameWords(item: { name: string; brand?: string | null }): string[] {
  return (item.name.toLowerCase().match(/\p{L}{2,}/gu) ?? []).filter(Boolean);
}

/** Every query word appears in the name or brand, in either script. */
function matchesAll(words: string[], item: { name: string; brand?: string | null | undefined }): boolean {
  if (words.length === 0) return false;
  const text = `${item.name} ${item.brand ?? ""}`.toLowerCase();
  const haystack = `${text} ${toLatin(text)}`;
  return words.every((word) => spellings(word).some((spelling) => haystack.includes(spelling.replace(/s$/, ""))));
}

function describe(target: Target): string {
  switch (target.kind) {
    case "sku":
      return target.sku;
    case "text":
      return `“${target.text}”`;
    default:
      return "that product";
  }
}

function toRecipes(value: unknown): Recipe[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError("createScriptedAgent: recipes must be an array");
  return value.map((recipe, index) => {
    const r = recipe as Partial<Recipe>;
    if (typeof r.id !== "string" || !Array.isArray(r.names) || typeof r.title !== "string" || !Array.isArray(r.ingredients)) {
      throw new TypeError(`createScriptedAgent: recipe ${index} needs id, names, title and ingredients`);
    }
    return r as Recipe;
  });
}
