import { describe } from "vitest";
import { itCatches } from "./defect-runner.js";
import { SIGNATURE_DEFECTS } from "./defects.js";

describe("the contract suite against backends that verify signatures loosely", () => {
  for (const expectation of SIGNATURE_DEFECTS) itCatches(expectation);
});
