"""tapegrad.scipy.linalg: in progress."""
