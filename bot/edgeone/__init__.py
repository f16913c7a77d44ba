"""EdgeOne's own view of a host, from the EdgeOne API (optional: it needs API credentials).

- ``settings``: TENCENTCLOUD_* and EO_API_* / EO_ZONES / EO_*PURGE* from the environment.
- ``client``: the one module that talks to Tencent Cloud (the official SDK), one method per action.
- ``errors``: every way a call can fail, worded for the reader; ``Problem`` as data.
- ``shapes``: the API's answers as the SDK names them, validated; ``facts``: what they mean.
- ``zones``: host → zone and acceleration domain, cached.
- ``view``: one question per method and ``EdgeOne.gather`` asking them all within a budget.
- ``findings``: pure rules turning facts (and a probe of the configured origin) into findings;
  ``compare``: that probe of the configured origin, through the probe's own policy;
  ``evidence``: the view as the facts the verdict weighs (``bot.diagnosis`` confirms, refutes or
  sharpens; nothing here weighs); ``revise``: a probe's diagnosis made again with all of that.
- ``trend``: the last hour of traffic and its 5xx outbreak; ``purge``: the guarded cache purge.

No Slack here and no rendering (that is ``bot.render.edgeone``). Importing the package costs
nothing: the SDK is imported when a client is built.
"""
