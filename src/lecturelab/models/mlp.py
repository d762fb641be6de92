"""The multi-layer perceptron of lecture 2: affine layers and elementwise non-linearities.

Initialisations, named as in the lecture's "ReLU needs careful initialisation":
  "he"      N(0, 2/fan_in), He et al. 2015 (Sec. 2.2), for ReLU;
  "xavier"  N(0, 2/(fan_in+fan_out)), Glorot & Bengio 2010 (the variance of eq. 12, drawn normal);
  "normal"  N(0, init_std^2) regardless of fan-in (the careless choice);
  "scaled"  N(0, alpha^2/fan_in), the weight scale of Poole et al. 2016 (sigma_w = alpha);
  "default" PyTorch's nn.Linear initialisation (as constructed), biases included.
Except for "default", every bias starts at `bias_init`. The output layer is initialised like the
hidden ones. Image inputs are flattened, so `in_features` is the product of the input shape.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from lecturelab.registry import register_model

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
INITS = ("he", "xavier", "normal", "scaled", "default")


class MLP(nn.Module):
    """`depth` hidden layers of `width` units (Linear + activation module), then a linear head."""

    def __init__(self, in_features: int, num_classes: int, *, width: int = 64, depth: int = 2,
                 activation: str = "relu", init: str = "he", init_std: float = 1.0,
                 alpha: float = 1.0, bias_init: float = 0.0) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, "
                             f"got {activation!r}")
        if init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
        for name, value in (("in_features", in_features), ("num_classes", num_classes),
                            ("width", width)):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if depth < 0:
            raise ValueError(f"depth must be at least 0, got {depth}")
        self.in_features, self.num_classes = in_features, num_classes
        self.init_args = dict(init=init, init_std=init_std, alpha=alpha, bias_init=bias_init)
        layers: list[nn.Module] = []
        for i in range(depth):
            fan_in = in_features if i == 0 else width
            layers += [nn.Linear(fan_in, width), ACTIVATIONS[activation]()]
        self.features = nn.Sequential(*layers)
        self.num_features = width if depth else in_features
        self.head = nn.Linear(self.num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                init_linear(m, **self.init_args)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations, (B, num_features)."""
        x = x.flatten(1)  # (B, prod(input_shape))
        if x.shape[1] != self.in_features:
            raise ValueError(f"MLP expects {self.in_features} input features a sample, got input "
                             f"of shape {tuple(x.shape)} after flattening")
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(x))  # (B, num_classes)

    def reset_classifier(self, num_classes: int) -> None:
        """A fresh head for `num_classes` outputs, initialised like the rest of the net."""
        self.num_classes = num_classes
        self.head = nn.Linear(self.num_features, num_classes).to(self.head.weight.device)
        init_linear(self.head, **self.init_args)


@torch.no_grad()
def init_linear(layer: nn.Linear, *, init: str, init_std: float = 1.0, alpha: float = 1.0,
                bias_init: float = 0.0) -> None:
    """Initialise one affine layer in place by one of the schemes in the module docstring;
    "default" leaves it as nn.Linear's constructor initialised it."""
    if init == "default":
        return
    fan_out, fan_in = layer.weight.shape
    std = {"he": math.sqrt(2 / fan_in), "xavier": math.sqrt(2 / (fan_in + fan_out)),
           "normal": init_std, "scaled": alpha / math.sqrt(fan_in)}[init]
    layer.weight.normal_(0.0, std)
    layer.bias.fill_(bias_init)


@register_model
def mlp(*, num_classes: int = 10, input_shape: tuple[int, ...] = (3, 32, 32),
        in_chans: int | None = None, **kw) -> MLP:
    """The lecture-2 MLP, 2 hidden layers of 64 ReLU units, He init. `input_shape` is one
    sample's shape (flattened); `in_chans`, when given, replaces its first entry."""
    if in_chans is not None:
        input_shape = (in_chans, *input_shape[1:])
    model = MLP(math.prod(input_shape), num_classes, **kw)
    model.default_input_size = tuple(input_shape)
    return model
