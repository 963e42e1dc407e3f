"""`cfworker dev`: the Worker running locally on workerd, rebuilt and restarted on every save.

  workerd.py   find or install the pinned workerd (shared mechanics in cfworker.tools)
  config.py    capnp_config(): the workerd config as Cap'n Proto text (pure)
  js.py        the facade around the Worker and the local KV service, as source text (pure)
  devvars.py   .dev.vars parsing (pure)
  logs.py      workerd output -> request log lines (pure)
  process.py   start workerd on cfworker's listening socket, stop it by pid
  session.py   the loop: build -> config -> (re)start, driven by cfworker.watcher's ChangeFeed
"""
