"""The Slack surface of briefbot: listeners, Block Kit rendering, dedup, feedback and notices.

Only Slack code lives here; answers and summaries come from :class:`bot.service.Briefbot`.
Entry points: :func:`bot.slack.app.create_app`, :mod:`bot.slack.runner` and
:func:`bot.slack.notify.notify_if_configured` (kept out of this module so that
importing the package does not import slack_bolt).
"""
