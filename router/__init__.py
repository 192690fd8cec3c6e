"""ManPaSik federation router: composes Federation v2 subgraphs and serves the supergraph."""

__all__ = ["__version__"]

__version__ = "0.1.0"
