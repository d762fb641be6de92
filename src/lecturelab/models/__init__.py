"""The classification zoo, one file per family; importing registers the entry points."""

from lecturelab.models import (  # noqa: F401 - importing registers the entry points
    alexnet,
    cifar_resnet,
    densenet,
    efficientnet,
    evolved,
    googlenet,
    lenet,
    mlp,
    mnasnet,
    mobilenet,
    resnet,
    senet,
    small_cnn,
    vgg,
)
