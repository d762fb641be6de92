"""Lecture 2 foundations, one module per idea: `autodiff` (a reverse-mode engine), `regions`
(linear regions of ReLU nets), `approximators` (constructive universal approximation),
`graph_ops` (one graph on the engine or on torch), `separability` (LP separability, Cover's
count), `random_features` (double descent), `losses`.

Submodules are imported by name (`from lecturelab.foundations.regions import ...`), so that
importing one does not import the others.
"""
