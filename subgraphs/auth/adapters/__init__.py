"""Adapters to third parties (SMTP, the SMS provider, social-login providers): the only code that speaks
their protocols. Each has a local fake in the tests speaking the same documented API."""
