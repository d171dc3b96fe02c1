"""Loading and checking content: flows, guidance entries, services and synonyms."""
