import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// Every public option type, config, and the error model is documented field by field: a reader
// of the installed package sees these comments in the editor and in the .d.ts files.
const root = fileURLToPath(new URL("../../", import.meta.url));
const ENTRIES = ["src/index.ts", "src/web.ts", "src/node.ts", "src/express.ts", "src/contract.ts", "src/testing/index.ts"].map((entry) => root + entry);
const DOCUMENTED = /Options$|Config$|^WebhookError|^WEBHOOK_ERROR_STATUS$|^WebhookContext$|^WebhookSettings$|^TenantLimits$|^TestApi$/;

function undocumented(): { names: string[]; missing: string[] } {
  const program = ts.createProgram(ENTRIES, { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true });
  const checker = program.getTypeChecker();
  const names = new Set<string>();
  const missing = new Set<string>();
  const hasDoc = (node: ts.Node) => ts.getJSDocCommentsAndTags(node).length > 0;
  for (const entry of ENTRIES) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const name = symbol.getName();
      if (!DOCUMENTED.test(name) || names.has(name)) continue;
      names.add(name);
      for (const declaration of symbol.declarations ?? []) {
        const isValue = ts.isVariableDeclaration(declaration);
        if (!hasDoc(isValue ? declaration.parent.parent : declaration)) missing.add(name);
        const type = isValue ? checker.getTypeOfSymbol(symbol) : checker.getDeclaredTypeOfSymbol(symbol);
        for (const property of type.isUnion() ? type.types.flatMap((member) => member.getProperties()) : type.getProperties()) {
          const node = property.declarations?.[0];
          if (node === undefined || node.getSourceFile().fileName.includes("/node_modules/")) continue;
          if (!hasDoc(node)) missing.add(`${name}.${property.getName()}`);
        }
      }
    }
  }
  return { names: [...names].sort(), missing: [...missing].sort() };
}

describe("the public types' documentation", () => {
  it("has JSDoc on every option type, config and error type, and on each of their fields", () => {
    const { names, missing } = undocumented();
    expect(names).toEqual(expect.arrayContaining(["WebhookKitOptions", "WebhookError", "WEBHOOK_ERROR_STATUS", "VerifyWebhookSignatureOptions", "ContractSuiteOptions", "ScriptedAgentOptions", "VizochokStubOptions"]));
    expect(missing).toEqual([]);
  }, 60_000);
});
