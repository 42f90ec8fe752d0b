"""tapegrad.scipy.stats: in progress."""
