"""The admin subgraph: the console's own data over every domain — admin actions recorded from the event
streams, daily analytics folded from them, the health of every subgraph and store, users' reports."""
