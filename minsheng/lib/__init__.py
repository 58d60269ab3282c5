"""The bottom floor: helpers with public names only, no Django models, importing no app."""
