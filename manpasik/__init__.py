"""The composition root: the registry of subgraphs and what puts the parts together — the `manpasik` command,
the dev stack, schema snapshots, migrations. It may import everything; nothing imports it."""
