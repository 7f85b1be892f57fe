// SUE module: see DESIGN layers in README.
