// `vizochok-merchant-kit/node`: the `node:http` request listener.
export { createNodeWebhookHandler, type NodeWebhookHandler } from "./adapters/node.js";
export * from "./common.js";
