"""The till in the terminal (Textual). It only calls ``o2pos.core``: no rule lives here."""
