"""Recommendations: the model (pure, shared with the offline benchmark) and the service the bot asks."""
