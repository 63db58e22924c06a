"""The back office every till syncs with: journal ingest, reporting projections, master data.

An optional extra (``pip install 'o2pos[central]'``); it sits on ``o2pos.core`` and shares
its journal rules, so a hash computed on a till is checked with the same code here.
"""
