"""The coaching (AI) subgraph: turns recorded measurements into cited, localised insights."""
