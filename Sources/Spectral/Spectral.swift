// Spectral module: see DESIGN layers in README.
