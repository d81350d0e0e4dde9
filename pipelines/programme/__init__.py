"""What a programme is: its factors, its survey instrument, and the demo programme."""
