"""tapegrad.scipy.signal: in progress."""
