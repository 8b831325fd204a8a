"""Kengen (権限): the management file of a local government's information systems."""

__version__ = "0.1.0"
