import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONTRACT_CASES } from "vizochok-merchant-kit/testing";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const section = readme.slice(readme.indexOf("<!-- section: contract -->"), readme.indexOf("<!-- section: dependencies -->"));
const repositoryPage = readFileSync(new URL("../../docs/contract-suite.md", import.meta.url), "utf8");

describe("README contract section", () => {
  it("lists every case, in the order they run", () => {
    const table = section.slice(section.indexOf("### The cases"), section.indexOf("### The CLI"));
    const ids = [...table.matchAll(/^\| `([a-z-]+\.[a-z0-9-]+)` \|/gm)].map((match) => match[1]);
    expect(ids).toEqual(CONTRACT_CASES.map((c) => c.id));
  });

  it("docs/contract-suite.md shows the in-process test file exactly as this repository runs it", () => {
    const file = readFileSync(new URL("./reference-store-in-process.test.ts", import.meta.url), "utf8");
    expect(repositoryPage).toContain(file.replace('"../../reference-store/app.js"', '"./reference-store/app.js"'));
  });

  it("states how many cases there are", () => {
    expect(section).toContain(`checks ${CONTRACT_CASES.length} named cases`);
  });

  it("shows the config file exactly as it is in fixtures/", () => {
    expect(section).toContain(readFileSync(new URL("../../fixtures/reference-store.contract.json", import.meta.url), "utf8"));
  });
});
