"""The decision-flow language: typed model, loader, static checks, conditions and templates."""
