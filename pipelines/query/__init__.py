"""The query layer: scores (with every privacy rule), evidence, freshness and what-if.

Nothing above this layer reads survey responses; everything it returns is already safe to show.
"""
