"""Legeplads: a privacy-guarded local LLM sandbox."""
