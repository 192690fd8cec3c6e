#!/usr/bin/env node
// Composes subgraph SDL files into a Federation v2 supergraph with @theguild/federation-composition,
// an independent composer, for the router's interoperability tests.
//   node compose.mjs NAME=URL@FILE.graphql ...   -> supergraph SDL on stdout
// Composition errors go to stderr, one per line, and the exit code is 1.
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { composeServices, compositionHasErrors } from "@theguild/federation-composition";

const args = process.argv.slice(2);
if (args.length === 0) {
  console.error("usage: node compose.mjs NAME=URL@FILE.graphql ...");
  process.exit(2);
}
const services = args.map((arg) => {
  const m = /^([^=]+)=(.*)@([^@]+)$/.exec(arg);
  if (!m) {
    console.error(`bad subgraph argument (want NAME=URL@FILE): ${arg}`);
    process.exit(2);
  }
  const [, name, url, file] = m;
  return { name, url, typeDefs: parse(readFileSync(file, "utf8")) };
});
const result = composeServices(services);
if (compositionHasErrors(result)) {
  for (const e of result.errors) {
    console.error(`${e.extensions?.code ?? "ERROR"}: ${e.message}`);
  }
  process.exit(1);
}
process.stdout.write(result.supergraphSdl);
