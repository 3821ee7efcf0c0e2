// Deterministic intent parsing for the scripted agent: English plus common Ukrainian phrasings.

/** A recipe the scripted agent turns into an ingredient checklist (`fixtures/recipes.json` holds some). */
export interface Recipe {
  /** Stable id, e.g. `"borscht"`. */
  readonly id: string;
  /** What a shopper may call it, in any language: `["borscht", "борщ"]`. */
  readonly names: readonly string[];
  /** The checklist's title, e.g. `"Ingredients for borscht"`. */
  readonly title: string;
  /** One line per product: its label, its SKU in the catalog, and the quantity a dish needs. */
  readonly ingredients: ReadonlyArray<{ readonly name: string; readonly sku: string; readonly quantity: number }>;
}

export type Target =
  | { kind: "ordinal"; index: number }
  | { kind: "it" }
  | { kind: "sku"; sku: string }
  | { kind: "text"; text: string };

export type Intent =
  | { kind: "greet" }
  | { kind: "show_cart" }
  | { kind: "clear" }
  | { kind: "recipe"; recipe: Recipe }
  | { kind: "add"; target: Target; quantity?: number }
  | { kind: "remove"; target: Target }
  | { kind: "set_quantity"; target: Target; quantity: number }
  | { kind: "search"; query: string }
  | { kind: "details"; target: Target }
  | { kind: "meal_plan"; days: number };

const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  a: 1, an: 1, один: 1, одну: 1, одна: 1, два: 2, дві: 2, три: 3, чотири: 4, "п'ять": 5, "п’ять": 5, шість: 6,
};
const NUM = String.raw`(\d+(?:[.,]\d+)?|${Object.keys(NUMBER_WORDS).join("|")})`;
const UNIT = String.raw`(?:\s*(?:x|×|pcs|pieces?|packs?|kg|шт\.?|штуки|штук|упаковки|кг))?`;
const CART = String.raw`(?:cart|basket|кошик|кошика|кошику)`;

const ORDINALS: Array<[RegExp, number]> = [
  [/^(first|1st|перш\S*)$/, 0],
  [/^(second|2nd|друг\S*)$/, 1],
  [/^(third|3rd|трет\S*)$/, 2],
  [/^(fourth|4th|четверт\S*)$/, 3],
  [/^(fifth|5th|п['’]ят\S*)$/, 4],
  [/^(sixth|6th|шост\S*)$/, 5],
  [/^(last|останн\S*)$/, -1],
];

const PATTERNS: Array<{ pattern: RegExp; build: (match: RegExpExecArray) => Intent | undefined }> = [
  {
    pattern: new RegExp(
      String.raw`^(?:(?:please\s+)?(?:make|create|give|plan|i need|i want|склади\S*|зроби\S*|потрібен|хочу)\s+(?:me\s+|мені\s+)?(?:a\s+)?)?(?:(?:meal|food)\s+plan|menu|план\s+харчування|меню)(?:.*?(?:^|\s)${NUM}\s*(?:days?|дн\S*|день))?`,
    ),
    build: (m) => ({ kind: "meal_plan", days: m[1] === undefined ? 3 : parseNumber(m[1]) }),
  },
  {
    pattern: /^(?:(?:please\s+)?tell me (?:more |a bit )?about|more about|details (?:of|about|on)|розкажи\S*(?: мені)?(?: більше| детальніше)? про|що таке)\s+(.+)$/,
    build: (m) => ({ kind: "details", target: parseTarget(m[1]!) }),
  },
  {
    pattern: new RegExp(String.raw`^(?:please\s+)?(?:(?:clear|empty)\s+(?:my\s+|the\s+)?${CART}|(?:remove|delete)\s+everything|start over|очист\S*\s+(?:мій\s+)?${CART}|(?:видал\S*|прибер\S*)\s+все)`),
    build: () => ({ kind: "clear" }),
  },
  {
    pattern: new RegExp(String.raw`^(?:please\s+)?(?:change|set|update|make)\s+(?:the\s+)?(?:quantity\s+of\s+)?(.+?)\s+(?:to|=)\s+${NUM}${UNIT}$`),
    build: (m) => ({ kind: "set_quantity", target: parseTarget(m[1]!), quantity: parseNumber(m[2]!) }),
  },
  {
    pattern: new RegExp(String.raw`^(?:зміни\S*|постав\S*)\s+(?:кількість\s+)?(.+?)\s+на\s+${NUM}${UNIT}$`),
    build: (m) => ({ kind: "set_quantity", target: parseTarget(m[1]!), quantity: parseNumber(m[2]!) }),
  },
  {
    pattern: new RegExp(String.raw`^(?:please\s+)?(?:remove|delete|take out|drop|видал\S*|прибер\S*)\s+(.+?)(?:\s+(?:from|з|із)\s+(?:my\s+|the\s+)?${CART})?$`),
    build: (m) => ({ kind: "remove", target: parseTarget(m[1]!) }),
  },
  {
    pattern: new RegExp(
      String.raw`^(?:please\s+)?(?:add|put|i['’]?ll take|take|buy|додай\S*|додати|візьми|поклади\S*)\s+(?:${NUM}${UNIT}\s+)?(?:of\s+)?(.+?)(?:\s+(?:to|into|in|в|у|до)\s+(?:my\s+|the\s+)?${CART})?$`,
    ),
    build: (m) => ({ kind: "add", target: parseTarget(m[2]!), ...(m[1] !== undefined ? { quantity: parseNumber(m[1]) } : {}) }),
  },
];

const SHOW_CART = new RegExp(String.raw`(?:^|\s)${CART}(?:\s|$)|what['’]?s in my|^що (?:в|у) мене`);
const GREETING = /^(?:hi|hello|hey|good (?:morning|afternoon|evening)|привіт|вітаю|добрий день|доброго дня)$/;
const RECIPE_CUE = /\b(?:recipe|ingredients?|cook|make|prepare|for)\b|рецепт|інгредієнт|приготу|звари|зробити|для /;
const SEARCH_PREFIX =
  /^(?:(?:can you\s+)?show(?: me)?|find(?: me)?|search(?: for)?|look(?:ing)? for|i need|i want|i['’]m looking for|do you have|have you got|do you sell|any|покажи\S*(?: мені)?|знайди\S*|шукаю|мені потрібн\S*|потрібн\S*|хочу|чи є у вас|чи є|у вас є|є)\s+/;

/** What the shopper asked for. Recipes are matched by any of their names. */
export function parseIntent(raw: string, recipes: readonly Recipe[]): Intent {
  const text = raw.toLowerCase().replace(/\s+/g, " ").trim().replace(/[?!.]+$/, "").trim();
  for (const { pattern, build } of PATTERNS) {
    const match = pattern.exec(text);
    const intent = match ? build(match) : undefined;
    if (intent !== undefined) return intent;
  }
  const recipe = findRecipe(text, recipes);
  if (recipe !== undefined) return { kind: "recipe", recipe };
  if (SHOW_CART.test(text)) return { kind: "show_cart" };
  if (GREETING.test(text)) return { kind: "greet" };
  return { kind: "search", query: text.replace(SEARCH_PREFIX, "").trim() || text };
}

function findRecipe(text: string, recipes: readonly Recipe[]): Recipe | undefined {
  const words = text.split(/[^\p{L}\p{N}'’]+/u).filter(Boolean);
  for (const recipe of recipes) {
    for (const name of recipe.names.map((n) => n.toLowerCase())) {
      if (text === name) return recipe;
      if (!RECIPE_CUE.test(text)) continue;
      // Ukrainian inflects names ("для борщу", "млинців"), so a word that starts with most of the name counts.
      const stem = name.length >= 5 ? name.slice(0, -1) : name;
      const hit = name.includes(" ") ? text.includes(name) : words.some((word) => word === name || (word.startsWith(stem) && word.length <= name.length + 2));
      if (hit) return recipe;
    }
  }
  return undefined;
}

export function parseTarget(raw: string): Target {
  const text = raw.trim().replace(/^(?:the|a|an)\s+/, "");
  if (/^(?:it|this|that|this one|that one|them|його|її|це)$/.test(text)) return { kind: "it" };
  const words = text.split(/\s+/).filter((word) => !/^(?:one|item|product|товар|варіант)$/.test(word));
  if (words.length === 1) {
    for (const [pattern, index] of ORDINALS) if (pattern.test(words[0]!)) return { kind: "ordinal", index };
    const number = /^(?:#|number\s*|№)?(\d+)$/.exec(words[0]!);
    if (number) return { kind: "ordinal", index: Number(number[1]) - 1 };
  }
  if (/^[a-z0-9]+(?:-[a-z0-9]+)+$/i.test(text)) return { kind: "sku", sku: text };
  return { kind: "text", text };
}

export function parseNumber(raw: string): number {
  return NUMBER_WORDS[raw] ?? Number(raw.replace(",", "."));
}
