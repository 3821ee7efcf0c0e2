// Type tests of the stub's options: checked by the compiler (`npm run typecheck`), not at run time.
import { expectTypeOf } from "vitest";
import { createScriptedAgent, type Recipe, type ScriptedAgentOptions } from "vizochok-merchant-kit/testing";

// `recipes` keeps its type: `readonly Recipe[] | unknown` collapsed to `unknown`, which took anything.
expectTypeOf<ScriptedAgentOptions["recipes"]>().not.toBeUnknown();
expectTypeOf<ScriptedAgentOptions["recipes"]>().toEqualTypeOf<readonly Recipe[] | undefined>();
expectTypeOf<Recipe>().toEqualTypeOf<{
  readonly id: string;
  readonly names: readonly string[];
  readonly title: string;
  readonly ingredients: ReadonlyArray<{ readonly name: string; readonly sku: string; readonly quantity: number }>;
}>();

const borscht = {
  id: "borscht",
  names: ["borscht", "борщ"],
  title: "Ingredients for borscht",
  ingredients: [{ name: "Beetroot", sku: "veg-004", quantity: 0.5 }],
} as const;

export const agents = {
  // Recipes written inline, or as a constant, compile.
  inline: createScriptedAgent({ recipes: [{ id: "salad", names: ["salad"], title: "Ingredients for salad", ingredients: [] }] }),
  constant: createScriptedAgent({ recipes: [borscht] }),
  // @ts-expect-error — an ingredient needs its quantity
  noQuantity: createScriptedAgent({ recipes: [{ id: "x", names: ["x"], title: "x", ingredients: [{ name: "a", sku: "b" }] }] }),
  // @ts-expect-error — recipes is a list, not one recipe
  oneRecipe: createScriptedAgent({ recipes: borscht }),
  // @ts-expect-error — names is a list of strings
  nameAsText: createScriptedAgent({ recipes: [{ ...borscht, names: "borscht" }] }),
};
