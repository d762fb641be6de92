import pytest

from lecturelab.registry import Registry, UnknownNameError


def make() -> Registry:
    reg = Registry("model")

    @reg.register
    def resnet20(**kw):
        return ("resnet20", kw)

    @reg.register(name="resnet56")
    def _r56(**kw):
        return ("resnet56", kw)

    return reg


def test_create_passes_kwargs():
    assert make().create("resnet20", num_classes=10) == ("resnet20", {"num_classes": 10})


def test_list_with_pattern_is_sorted():
    assert make().list("resnet*") == ["resnet20", "resnet56"]
    assert make().list("vgg*") == []


def test_unknown_name_names_close_matches():
    with pytest.raises(UnknownNameError, match="unknown model 'resnet2'.*resnet20"):
        make().get("resnet2")


def test_duplicate_name_is_an_error():
    reg = make()
    with pytest.raises(ValueError, match="registered twice"):
        reg.register(lambda: None, name="resnet20")
