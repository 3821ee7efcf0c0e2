// `vizochok-merchant-kit/contract`: the contract suite without the stub, so it loads neither
// `ws` nor `better-sqlite3`.
export * from "./contract/index.js";
