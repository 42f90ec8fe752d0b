"""tapegrad.scipy.integrate: in progress."""
