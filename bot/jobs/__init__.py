"""Scheduled event handlers, one module per feature; bot/app.py maps each event kind to its handler."""
