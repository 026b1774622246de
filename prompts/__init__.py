"""Prompt templates shipped as YAML files (see bot/prompting.py for the loader)."""
