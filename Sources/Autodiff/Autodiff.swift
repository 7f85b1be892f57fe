// Autodiff module: see DESIGN layers in README.
