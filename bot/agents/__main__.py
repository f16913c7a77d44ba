"""`python -m bot.agents --region NAME`: the same as `eo-bot agent --region NAME`."""

from bot.agents.command import main

raise SystemExit(main())
