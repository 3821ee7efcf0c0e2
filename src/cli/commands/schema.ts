import { JSON_SCHEMA_NAMES, JSON_SCHEMA_SOURCES, jsonSchemaFor, type JsonSchemaName } from "../../json-schema/index.js";
import { EXIT, UsageError, parseCommandArgs, type Command } from "../command.js";

export const schemaCommand: Command = {
  name: "schema",
  summary: "print the JSON Schema of a request or answer (for backends in any language)",
  usage: `vizochok-kit schema [NAME | --all]

Prints the JSON Schema (draft 2020-12) of one webhook request or answer, generated from the
zod schemas the kit validates with. Without a name, lists the names. The same files ship in the
package as vizochok-merchant-kit/schemas/NAME.json.

  NAME        ${JSON_SCHEMA_NAMES.join(", ")}
  --all       print every schema as one JSON object keyed by name
  -h, --help  show this help

Example:
  vizochok-kit schema cart-request > cart-request.schema.json`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { allowPositionals: true, options: { all: { type: "boolean" } } });
    if (positionals.length > 1 || (values.all === true && positionals.length > 0)) {
      throw new UsageError("name one schema, or pass --all");
    }
    if (values.all === true) {
      const all = Object.fromEntries(JSON_SCHEMA_NAMES.map((name) => [name, jsonSchemaFor(name)]));
      io.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
      return EXIT.ok;
    }
    const name = positionals[0];
    if (name === undefined) {
      for (const known of JSON_SCHEMA_NAMES) io.stdout.write(`${known.padEnd(18)} ${JSON_SCHEMA_SOURCES[known].description}\n`);
      return EXIT.ok;
    }
    if (!(JSON_SCHEMA_NAMES as string[]).includes(name)) {
      throw new UsageError(`unknown schema "${name}"; known: ${JSON_SCHEMA_NAMES.join(", ")}`);
    }
    io.stdout.write(`${JSON.stringify(jsonSchemaFor(name as JsonSchemaName), null, 2)}\n`);
    return EXIT.ok;
  },
};
