"""Command groups of the o2pos CLI that live apart from the till's own commands."""
