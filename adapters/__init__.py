"""Platform adapters: verify and parse inbound requests, render and send core replies."""
