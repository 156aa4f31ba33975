"""Clockwork's callbacks into Airflow: delivery receipts and inbound texts (Airflow 3.3+).

- :mod:`.app`: the FastAPI app the API server mounts under ``/clockwork``;
- :mod:`.parsing`: a callback's body into receipts or an inbound text, refusing bad input;
- :mod:`.settings`: the receiver's part of a Clockwork connection (URL, token, allowed senders);
- :mod:`.store`: the writes into Airflow's asset state store and the inbound asset events;
- :mod:`.records`: the stored records, asset URIs and keys, shared with the delivery sensor.

Importing this package imports nothing from Airflow or FastAPI.
"""
