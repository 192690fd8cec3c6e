"""Strawberry plumbing shared by the subgraphs: schema factory, typed context, error mapping, app factory."""
