"""Pathways: guidance for the Coordinated Community Response to domestic abuse and VAWG."""

__version__ = "0.1.0"
__all__ = ["__version__"]
