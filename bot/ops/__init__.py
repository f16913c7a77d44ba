"""Running the bot as a service: metrics (``/metrics``) and structured logs."""
