"""Regional probe agents over NATS JetStream: probe a URL from several places at once.

* :mod:`bot.agents.settings` - EO_NATS_* and EO_AGENT_* settings, region names
* :mod:`bot.agents.keys` - the Ed25519 keys that tie an agent's results to its region
* :mod:`bot.agents.protocol` - job, result and heartbeat messages (versioned, size-capped)
* :mod:`bot.agents.jetstream` - stream, consumers, bucket and subjects; connecting
* :mod:`bot.agents.agent` - the agent process (``eo-bot agent --region NAME``)
* :mod:`bot.agents.caller` - ``RegionalProber``: fan out one probe, gather per-region outcomes
* :mod:`bot.agents.verdict` - one reading across regions (pure)
* :mod:`bot.agents.command` - the command line of the agent

Nothing here imports Slack. This package is imported lazily: only deployments that set
EO_NATS_URL load nats-py.
"""
