"""Clockwork's wire protocol, free of Airflow: numbers, content, requests and replies.

The hook, operator and notifier send through these rules, and the emulator
answers by the same rules, so a message the provider accepts is one the emulator
judges exactly as the provider expects.
"""
