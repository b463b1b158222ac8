"""Realtime voice agents over OpenAI's Realtime API."""
