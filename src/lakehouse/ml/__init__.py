"""Machine learning on gold: training, the model registry's promotion gate (`training`)."""
