// SUEFiles module: see DESIGN layers in README.
