import { route } from "./app.mjs";
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: route });
console.log(JSON.stringify({ port: server.port }));
