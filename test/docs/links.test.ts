import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The README links to docs/ pages and to its own sections; a renamed heading or a moved page must
// not leave a dead link behind.
const root = fileURLToPath(new URL("../../", import.meta.url));
const pages = ["README.md", ...readdirSync(join(root, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`)];

// GitHub's heading anchors: lower case, punctuation dropped (hyphens and underscores kept), spaces to hyphens.
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, "").replace(/ /g, "-");
}

function anchors(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, "");
  return new Set([...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1]!)));
}

function links(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, "");
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!).filter((target) => !/^[a-z]+:/.test(target));
}

describe("links between README.md and docs/", () => {
  it("the README links every page in docs/", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    for (const page of pages.filter((page) => page !== "README.md")) expect(readme).toContain(`](${page})`);
  });

  it.each(pages)("every relative link and anchor in %s resolves", (page) => {
    const text = readFileSync(join(root, page), "utf8");
    const found = links(text);
    expect(found.length).toBeGreaterThan(0);
    for (const target of found) {
      const [path, anchor] = target.split("#") as [string, string | undefined];
      const file = path === "" ? join(root, page) : join(dirname(join(root, page)), path);
      expect(existsSync(file), `${page} → ${target}`).toBe(true);
      if (anchor !== undefined) {
        expect(anchors(readFileSync(file, "utf8")), `${page} → ${target} (${relative(root, file)})`).toContain(anchor);
      }
    }
  });
});
