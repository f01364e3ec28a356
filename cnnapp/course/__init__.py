"""The course's demonstrations: convolution and pooling, layers, losses, the optimizer race."""
