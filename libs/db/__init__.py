"""Store access: SQLModel on PostgreSQL/SQLite (one database per subgraph, Alembic migrations) and Beanie."""
