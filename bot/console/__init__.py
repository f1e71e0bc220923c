"""Hotline web console: staff accounts, sessions, handoff queue, knowledge and dossier look-ups.

Served by the Rasa server as the custom input channel ``bot.console.channel.ConsoleInput`` at
``/webhooks/console/``. The handoff store (:mod:`bot.console.handoff`) is the API the
conversation's handoff action calls; :func:`bot.console.auth.authenticate` lets other blueprints
(outreach) sit behind the console's login. Nothing here connects to anything at import time.
"""
