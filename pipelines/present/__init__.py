"""How views are shown: charts, downloads, and the steering pack."""
