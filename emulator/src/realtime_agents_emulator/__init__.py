"""Local emulator of the OpenAI Realtime API."""
