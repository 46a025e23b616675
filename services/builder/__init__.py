"""The builder service: Komodo's Repo executions, Builds and Builders, with its own database `<prefix>_builder`."""
