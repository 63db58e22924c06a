"""o2pos: a terminal point of sale that keeps selling when the network is gone."""

__version__ = "0.1.0"
