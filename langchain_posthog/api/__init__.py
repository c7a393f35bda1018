"""The PostHog side: one client that sends an action's calls and reads PostHog's answers.

``client`` sends the calls a plan yields (``calls``), retries them as ``retry`` allows, reads
each answer or error (``answers``, ``errors``) with secrets taken out (``redaction``), to the
hosts ``hosts`` resolves, through httpx or aiohttp (``transports``). Nothing here knows
LangChain or any action.
"""
