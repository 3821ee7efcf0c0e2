import { copyFile, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT, UsageError, parseCommandArgs, type Command } from "../command.js";

/** The package's root: dist/cli/commands/ when installed, src/cli/commands/ in a checkout. */
const PACKAGE_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** Reference-store files that are the repository's demo, not the store. */
const NOT_THE_STORE = new Set(["demo.ts"]);
/** The store's own dependencies, at the ranges this package is built and tested with. */
const STORE_DEPENDENCIES = ["better-sqlite3", "express", "pg", "tsx", "zod"] as const;

export const initCommand: Command = {
  name: "init",
  summary: "write a runnable copy of the reference store (SQLite) into a directory",
  usage: `vizochok-kit init [DIR]

Writes the reference store, a complete merchant backend on this kit (products, per-store prices
and stock, carts and an audit log in SQLite, or PostgreSQL with DATABASE_URL), into DIR (default: the current directory) as a
project of its own: package.json, src/, the demo catalog and a contract config. Then:

  cd DIR && npm install && npm start     # http://localhost:3000, webhooks under /api/vizochok
  npm run contract                       # the contract suite against it (another terminal; the
                                         # secret: VIZOCHOK_WEBHOOK_SECRET, else data/webhook-secret)

Nothing is overwritten: init stops if any file it would write exists.

  -h, --help  show this help`,
  async run(argv, io) {
    const { positionals } = parseCommandArgs(argv, { allowPositionals: true, options: {} });
    if (positionals.length > 1) throw new UsageError("name one directory");
    const target = resolve(io.cwd, positionals[0] ?? ".");
    const kit = JSON.parse(await readFile(join(PACKAGE_ROOT, "package.json"), "utf8")) as Manifest;
    const sources = (await readdir(join(PACKAGE_ROOT, "reference-store"), { recursive: true }))
      .filter((file) => file.endsWith(".ts") && !NOT_THE_STORE.has(file))
      .sort();
    if (!sources.includes("main.ts")) throw new Error(`the package has no reference store in ${join(PACKAGE_ROOT, "reference-store")}`);

    const files = new Map<string, { from: string } | { text: string }>();
    for (const file of sources) files.set(join("src", file), { from: join(PACKAGE_ROOT, "reference-store", file) });
    files.set(join("fixtures", "catalog.json"), { from: join(PACKAGE_ROOT, "fixtures", "catalog.json") });
    files.set("contract.json", { from: join(PACKAGE_ROOT, "fixtures", "reference-store.contract.json") });
    files.set("package.json", { text: `${JSON.stringify(projectManifest(basename(target), kit), null, 2)}\n` });
    files.set("tsconfig.json", { text: `${JSON.stringify(TSCONFIG, null, 2)}\n` });
    files.set(".gitignore", { text: "node_modules/\ndata/\n" });
    files.set("README.md", { text: projectReadme(kit.version) });

    const existing: string[] = [];
    for (const path of files.keys()) if (await exists(join(target, path))) existing.push(path);
    if (existing.length > 0) throw new UsageError(`${target} already has ${existing.join(", ")}; choose an empty directory`);
    for (const [path, content] of files) {
      const destination = join(target, path);
      await mkdir(join(destination, ".."), { recursive: true });
      if ("from" in content) await copyFile(content.from, destination);
      else await writeFile(destination, content.text);
    }
    const where = positionals[0] === undefined ? "" : `cd ${positionals[0]} && `;
    io.stdout.write(`Wrote the reference store to ${target} (${files.size} files).\n\n  ${where}npm install && npm start\n\nthen, in another terminal: npm run contract\n`);
    return EXIT.ok;
  },
};

interface Manifest {
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

function projectManifest(directoryName: string, kit: Manifest): Record<string, unknown> {
  const ranges = { ...kit.devDependencies, ...kit.peerDependencies, ...kit.dependencies };
  const dependencies: Record<string, string> = { "vizochok-merchant-kit": `^${kit.version}` };
  for (const name of STORE_DEPENDENCIES) {
    const range = ranges[name];
    if (range === undefined) throw new Error(`the kit's package.json names no version of ${name}`);
    dependencies[name] = range;
  }
  const name = directoryName.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+/, "") || "vizochok-store";
  return {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    engines: { node: ">=20" },
    scripts: {
      start: "tsx src/main.ts",
      // The secret the store verifies with: VIZOCHOK_WEBHOOK_SECRET, else the one it generated and kept.
      contract:
        'vizochok-kit contract --url http://127.0.0.1:${PORT:-3000}/api/vizochok --secret "${VIZOCHOK_WEBHOOK_SECRET:-$(cat data/webhook-secret 2>/dev/null)}" --config contract.json',
    },
    dependencies,
    devDependencies: { "@types/better-sqlite3": ranges["@types/better-sqlite3"] ?? "*", "@types/express": ranges["@types/express"] ?? "*", "@types/node": ranges["@types/node"] ?? "*" },
    // npm 11 runs only the install scripts a project allows (and warns about the rest):
    // better-sqlite3 builds its binding in one, esbuild (under tsx) checks its binary in one.
    allowScripts: { "better-sqlite3": true, esbuild: true },
  };
}

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    verbatimModuleSyntax: true,
    skipLibCheck: true,
    resolveJsonModule: true,
    types: ["node"],
    noEmit: true,
  },
  include: ["src"],
};

function projectReadme(version: string): string {
  return `# VIZOCHOK reference store

Written by \`vizochok-kit init\` (vizochok-merchant-kit ${version}): a merchant backend that answers
VIZOCHOK's three webhooks from SQLite.

\`\`\`sh
npm install && npm start   # http://localhost:3000; PORT, DATABASE_PATH (SQLite), VIZOCHOK_WEBHOOK_SECRET
DATABASE_URL=postgres://user@host/db npm start   # the same store on PostgreSQL
npm run contract           # the contract suite against the running store, with its secret
\`\`\`

The webhooks are \`POST /api/vizochok/check-products\`, \`POST /api/vizochok/cart\` and
\`GET /api/vizochok/cart/items\`. Without \`VIZOCHOK_WEBHOOK_SECRET\` the store generates one on first
start and keeps it in \`data/webhook-secret\`, where \`npm run contract\` finds it. The catalog in \`fixtures/catalog.json\` seeds a new
database. \`src/handlers.ts\` is the file to change to answer from your own systems.
`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
