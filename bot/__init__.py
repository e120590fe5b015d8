"""kuaidi-bot core: detection, tracking, conversation and subscriptions, free of any platform."""
