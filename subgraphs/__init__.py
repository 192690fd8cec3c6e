"""One package per domain subgraph; they never import each other."""
