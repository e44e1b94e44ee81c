"""Who may read what: grants of clusters and namespaces to users and groups, and the scope every read
goes through (docs/operations.md, "Access control")."""
