"""Code shared by the router and the subgraphs: settings, auth, stores, events, GraphQL plumbing."""
