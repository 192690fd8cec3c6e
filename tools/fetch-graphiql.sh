#!/usr/bin/env bash
# Refreshes the GraphiQL explorer's vendored assets (router/server/graphiql/vendor/) from the npm registry:
# the production UMD bundles of graphiql (which bundles graphql-ws), react and react-dom, with their licenses.
# Run once after changing a version below, check the explorer (tests/router/test_graphiql_browser.py), and
# commit the files and the versions in router/server/graphiql/vendor/NOTICE.md. The router never fetches them.
set -euo pipefail
GRAPHIQL=3.9.0     # the last GraphiQL with a UMD build (4+ ship ES modules with Monaco workers only)
REACT=18.3.1       # graphiql 3 supports React 16.8-18; react-dom must match react
GRAPHQL_WS=5.16.2  # only its license: graphiql.min.js bundles graphql-ws (the subscriptions client)
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/router/server/graphiql/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" "graphql-ws@$GRAPHQL_WS" >/dev/null
tar xzf "graphiql-$GRAPHIQL.tgz" --one-top-level=graphiql
tar xzf "react-$REACT.tgz" --one-top-level=react
tar xzf "react-dom-$REACT.tgz" --one-top-level=react-dom
tar xzf "graphql-ws-$GRAPHQL_WS.tgz" --one-top-level=graphql-ws
mkdir -p "$out"
cp graphiql/package/graphiql.min.js graphiql/package/graphiql.min.css "$out/"
cp react/package/umd/react.production.min.js react-dom/package/umd/react-dom.production.min.js "$out/"
{
  echo "graphiql $GRAPHIQL (MIT)"; cat graphiql/package/LICENSE; echo
  echo "react $REACT (MIT)"; cat react/package/LICENSE; echo
  echo "react-dom $REACT (MIT)"; cat react-dom/package/LICENSE; echo
  echo "graphql-ws (MIT), bundled in graphiql.min.js"; cat graphql-ws/package/LICENSE.md
} >"$out/LICENSES.txt"
echo "fetched graphiql $GRAPHIQL, react $REACT, react-dom $REACT into $out:"
ls -l "$out"
