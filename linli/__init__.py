"""Linli (邻里): community governance for residential compounds."""
