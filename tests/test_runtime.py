"""computed_once: the one way to train once per process and share the result."""

from lecturelab.runtime import computed_once, forget_computed


def test_computed_once_shares_one_result_however_arguments_are_spelled():
    calls = []

    @computed_once
    def train(size: int, loss: str = "focal") -> list:
        calls.append((size, loss))
        return [size, loss]

    first = train(8)
    assert train(8, "focal") is first and train(size=8, loss="focal") is first
    assert train(8, loss="bce") is not first
    assert calls == [(8, "focal"), (8, "bce")]
    forget_computed()
    assert train(8) is not first and len(calls) == 3
