"""Measurement subgraph: measurements (MongoDB via Beanie), readers, cartridge lots and their authenticity."""
