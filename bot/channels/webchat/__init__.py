"""The web channel: a JSON API, the chat page and the embeddable widget."""
