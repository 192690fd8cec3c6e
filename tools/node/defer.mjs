#!/usr/bin/env node
// Runs one query with @defer through Apollo Client 4 (the deferSpec=20220824 handler), for the router's tests.
//   node defer.mjs LINK URL QUERY [VARIABLES_JSON]      LINK: http (HttpLink, multipart) | ws (GraphQLWsLink)
// Prints one JSON line per result the app would see: {"next": {data, dataState, ms}} (ms since the query was
// sent), then {"complete": true}; {"error": ...} on failure.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { Defer20220824Handler } from "@apollo/client/incremental";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { createClient as createWsClient } from "graphql-ws";
import WebSocket from "ws";

const [kind, url, query, vars] = process.argv.slice(2);
const variables = vars ? JSON.parse(vars) : {};
const out = (msg) => process.stdout.write(JSON.stringify(msg) + "\n");
const link =
  kind === "ws"
    ? new GraphQLWsLink(createWsClient({ url: url.replace(/^http/, "ws"), webSocketImpl: WebSocket }))
    : new HttpLink({ uri: url });
const client = new ApolloClient({ link, cache: new InMemoryCache(), incrementalHandler: new Defer20220824Handler() });
const start = performance.now();
client.watchQuery({ query: gql(query), variables, fetchPolicy: "network-only" }).subscribe({
  next: (r) => {
    if (r.error) {
      out({ error: String(r.error.message), errors: r.error.errors ?? null });
      process.exit(1);
    }
    if (r.loading && r.data === undefined) return;
    out({ next: { data: r.data, dataState: r.dataState, ms: performance.now() - start } });
    if (r.dataState === "complete") {
      out({ complete: true });
      process.exit(0);
    }
  },
  error: (err) => {
    out({ error: String(err?.message ?? err) });
    process.exit(1);
  },
});
