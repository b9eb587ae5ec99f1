"""Websocket URLconfs, one module per tenant type (like config/urls)."""
