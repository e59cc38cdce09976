"""Model bundles: export each trained Keras model to every format, check it, hash and write it."""
