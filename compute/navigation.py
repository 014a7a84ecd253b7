"""Menu entries and dashboard panels this app adds to the site (see cernai.core.registry)."""
