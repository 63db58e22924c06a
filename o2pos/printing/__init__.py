"""Receipts on paper: slip layouts (pure), the ESC/POS adapter, and the print queue worker.

Layouts know nothing of printers; the adapter turns a slip into ESC/POS bytes with
python-escpos, imported only when something is printed; the spooler sends queued jobs off
the UI thread, so a jammed or unplugged printer never stops a sale. No Textual here.
"""
