// Starts GraphiQL against the router that served this page: queries and mutations over HTTP POST to the page's
// own URL, subscriptions over graphql-transport-ws on the same URL. The Headers tab's headers go with every HTTP
// request and, for a subscription, in the socket's connection_init payload (where the router reads
// Authorization). Kept out of index.html so that the page runs under a CSP without 'unsafe-inline'.
(function () {
  'use strict';
  var url = window.location.pathname;
  var socket = (window.location.protocol === 'https:' ? 'wss://' : 'ws://') + window.location.host + url;
  var defaultQuery = [
    '# ManPaSik API explorer (GraphiQL, served by the router).',
    '#',
    '# Signed-in fields need a token: run logIn or signUp,',
    '# copy its accessToken, and put this in Headers below:',
    '#   {"Authorization": "Bearer <accessToken>"}',
    '# It goes with queries, mutations and subscriptions.',
    '',
    'query Explore {',
    '  __typename',
    '}',
    ''
  ].join('\n');
  var fetcher = GraphiQL.createFetcher({
    url: url,
    subscriptionUrl: socket,
    // @defer answers are multipart, sent (as by Apollo Router) to clients that name the format; plain JSON
    // otherwise, so that errors are 200 as GraphiQL expects them.
    headers: { accept: 'application/json, multipart/mixed;deferSpec=20220824' }
  });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: false
    })
  );
})();
