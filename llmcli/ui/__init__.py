"""Rendering: the only package that imports rich. Knows nothing about providers."""
