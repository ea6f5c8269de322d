"""Training the models the product ships (the handwriting recogniser)."""
