#!/usr/bin/env node
// Subscribes to a GraphQL server with a real client library, for the router's transport tests.
//   node subscribe.mjs CLIENT URL QUERY [VARIABLES_JSON] [CONNECTION_PARAMS_JSON]
// CLIENT: graphql-ws | graphql-sse-distinct | graphql-sse-single | apollo-multipart | apollo-ws |
//         subscriptions-transport-ws | apollo-query (one query through Apollo Client's HttpLink)
// Prints one JSON line per event on stdout: {"ready":true} once subscribed (as far as the client tells),
// {"next": result}, {"ping": true} (graphql-ws: a ping from the server), {"error": ...}, {"complete": true}.
import { createClient as createWsClient } from "graphql-ws";
import { createClient as createSseClient } from "graphql-sse";
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { SubscriptionClient } from "subscriptions-transport-ws";
import WebSocket from "ws";

const [client, url, query, vars, params] = process.argv.slice(2);
const variables = vars ? JSON.parse(vars) : {};
const connectionParams = params ? JSON.parse(params) : {};
const out = (msg) => process.stdout.write(JSON.stringify(msg) + "\n");
const fail = (err) => {
  out({ error: String(err?.message ?? err), name: err?.name, errors: err?.errors ?? err?.graphQLErrors });
  process.exit(1);
};
const sink = {
  next: (r) => out({ next: r }),
  error: fail,
  complete: () => {
    out({ complete: true });
    process.exit(0);
  },
};
const wsUrl = url.replace(/^http/, "ws");

function apollo(link) {
  return new ApolloClient({ link, cache: new InMemoryCache() });
}

function observe(observable) {
  observable.subscribe({
    next: (r) => out({ next: { data: r.data, ...(r.error ? { error: String(r.error.message) } : {}) } }),
    error: fail,
    complete: sink.complete,
  });
}

switch (client) {
  case "graphql-ws": {
    const c = createWsClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams,
      on: { ping: (received) => received && out({ ping: true }), connected: () => out({ ready: true }) },
    });
    c.subscribe({ query, variables }, sink);
    break;
  }
  case "graphql-sse-distinct":
  case "graphql-sse-single": {
    const c = createSseClient({
      url,
      singleConnection: client === "graphql-sse-single",
      headers: connectionParams,
      retryAttempts: 0,
      on: { connected: () => out({ ready: true }) },
    });
    c.subscribe({ query, variables }, sink);
    break;
  }
  case "apollo-multipart": {
    observe(apollo(new HttpLink({ uri: url, headers: connectionParams })).subscribe({ query: gql(query), variables }));
    break;
  }
  case "apollo-ws": {
    const ws = createWsClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams });
    observe(apollo(new GraphQLWsLink(ws)).subscribe({ query: gql(query), variables }));
    break;
  }
  case "apollo-query": {
    const c = apollo(ApolloLink.from([new HttpLink({ uri: url, headers: connectionParams })]));
    c.query({ query: gql(query), variables, errorPolicy: "none" }).then(
      (r) => {
        out({ next: { data: r.data } });
        process.exit(0);
      },
      (err) => {
        out({
          error: String(err?.message ?? err),
          name: err?.constructor?.name,
          errors: err?.errors ?? null,
        });
        process.exit(0);
      },
    );
    break;
  }
  case "subscriptions-transport-ws": {
    const c = new SubscriptionClient(wsUrl, { connectionParams, reconnect: false }, WebSocket);
    c.onConnected(() => out({ ready: true }));
    c.request({ query, variables }).subscribe(sink);
    break;
  }
  default:
    console.error(`unknown client ${client}`);
    process.exit(2);
}
