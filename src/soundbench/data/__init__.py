"""The data path: corpus → clip index → protocol split → audio → analysis windows."""
