"""Channels: each renders the neutral `Outbound` by its capabilities and does its own I/O."""
