"""Load benchmark for the MCP weather server: `pipenv run bench` (see bench/RESULTS.md for a run).

Starts a fake NWS and the server as subprocesses on loopback, drives them with N concurrent MCP
clients from a separate load-generator process, and writes the numbers to bench/RESULTS.md.
"""
