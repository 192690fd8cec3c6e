"""The data subgraph: health-data protection. Tamper evidence (a hash chain of every health record written,
with RFC 6962 Merkle checkpoints, and integrity checks that re-hash the records where they are stored), the
access audit log, encrypted FHIR/CSV exports, encrypted backups of every store, data-key rotation, erasure."""
