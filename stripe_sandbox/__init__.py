"""Likeness Stripe sandbox: a local, offline server speaking Stripe's HTTP API.

A development and test tool kept apart from the product: the product talks to it only over HTTP
through the official ``stripe`` library, and never imports this package. It uses the standard
library only (no Django, no ``marketplace`` module). See README.md in this directory.
"""
