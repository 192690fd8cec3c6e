#!/usr/bin/env node
// Apollo Gateway (@apollo/gateway behind Apollo Server's standalone server) over a supergraph file: an oracle
// for the router's conformance tests only, never part of the platform.
//   node apollo-gateway.mjs SUPERGRAPH_FILE PORT      -> prints "apollo-gateway ready" when it serves /graphql
import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";

const [file, port] = process.argv.slice(2);
if (!file || !port) {
  console.error("usage: node apollo-gateway.mjs SUPERGRAPH_FILE PORT");
  process.exit(2);
}
// Forwards the client's Authorization header to every subgraph, as the other gateways under test do.
class Forwarding extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    if (context.authorization) request.http.headers.set("authorization", context.authorization);
  }
}
const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(file, "utf8"),
  buildService: ({ url }) => new Forwarding({ url }),
});
const server = new ApolloServer({ gateway, introspection: true });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(port), host: "127.0.0.1" },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(`apollo-gateway ready at ${url}`);
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => server.stop().finally(() => process.exit(0)));
