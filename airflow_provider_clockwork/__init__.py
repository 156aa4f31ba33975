"""Apache Airflow provider for the Clockwork SMS API."""

__version__ = "0.1.0"
