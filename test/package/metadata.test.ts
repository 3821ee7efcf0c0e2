import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { packedKit } from "./packed.js";

// What npm and an editor read from the installed package besides the code.
describe("the installed package's metadata", () => {
  let kit = "";
  beforeAll(() => {
    kit = join(packedKit().project, "node_modules", "vizochok-merchant-kit");
  }, 600_000);

  it("ships its changelog, licence and README, and declares itself free of side effects", () => {
    const manifest = JSON.parse(readFileSync(join(kit, "package.json"), "utf8")) as { sideEffects: unknown; keywords: string[]; license: string };
    expect(manifest.sideEffects).toBe(false);
    expect(manifest.keywords).toEqual(expect.arrayContaining(["vizochok", "webhook"]));
    expect(manifest.license).toBe("MIT");
    for (const file of ["CHANGELOG.md", "LICENSE", "README.md"]) expect(existsSync(join(kit, file)), file).toBe(true);
  });

  it("every declaration file has a map whose source ships too, so go-to-definition lands in TypeScript", () => {
    const declarations = readdirSync(join(kit, "dist"), { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".d.ts"));
    expect(declarations.length).toBeGreaterThan(20);
    for (const declaration of declarations) {
      const map = join(kit, "dist", `${declaration}.map`);
      expect(existsSync(map), map).toBe(true);
      const { sources } = JSON.parse(readFileSync(map, "utf8")) as { sources: string[] };
      expect(sources).toHaveLength(1);
      const source = join(dirname(map), sources[0]!);
      expect(source.startsWith(join(kit, "src")), source).toBe(true);
      expect(existsSync(source), source).toBe(true);
    }
  });
});
