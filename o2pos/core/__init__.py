"""Pure domain and storage of the till.

Nothing here imports a UI, network or printing library: everything a cashier can do is a
function of this package first, so tests, the CLI, benchmarks and the TUI share one set of
rules.
"""
