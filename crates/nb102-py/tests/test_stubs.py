"""The installed package's typing stubs and docstrings: `_native.pyi` names every function, class, method and
property of the extension module with its parameters, and nothing it lacks; every public name has a docstring,
so that `help()` explains it.

    .venv/bin/python -m pytest crates/nb102-py/tests
"""

import ast
import inspect
from pathlib import Path

import pytest

import nb102
from nb102 import _native

PACKAGE = Path(nb102.__file__).parent
STUB = ast.parse((PACKAGE / "_native.pyi").read_text())
# Dunders that belong to a class's public surface (the rest are Python's).
DUNDERS = {"__len__", "__eq__", "__hash__"}


def public(name):
    return not name.startswith("__") or name in DUNDERS


def stub_classes():
    return {node.name: node for node in STUB.body if isinstance(node, ast.ClassDef)}


def parameters(args):
    """(name, kind) of a stub's parameters, self excluded, in the order and kinds of inspect.Parameter."""
    out = [(a.arg, "POSITIONAL_OR_KEYWORD") for a in args.posonlyargs + args.args]
    out += [(a.arg, "KEYWORD_ONLY") for a in args.kwonlyargs]
    return [p for p in out if p[0] != "self"]


def runtime_parameters(fn):
    return [(p.name, p.kind.name) for p in inspect.signature(fn).parameters.values() if p.name != "self"]


def test_the_package_ships_its_stubs_and_marker():
    assert (PACKAGE / "py.typed").exists()
    assert (PACKAGE / "_native.pyi").exists()


def test_module_level_names_match():
    stubbed = set(stub_classes())
    for node in STUB.body:
        if isinstance(node, ast.FunctionDef):
            stubbed.add(node.name)
            assert parameters(node.args) == runtime_parameters(getattr(_native, node.name)), node.name
        elif isinstance(node, ast.AnnAssign) and node.target.id in ("__version__", "NUM_ARCHS", "NUM_SIZES"):
            stubbed.add(node.target.id)
    runtime = {n for n in dir(_native) if not n.startswith("__") or n == "__version__"}
    assert stubbed == runtime


@pytest.mark.parametrize("name", sorted(stub_classes()))
def test_class_members_match(name):
    cls = getattr(_native, name)
    node = stub_classes()[name]
    members = {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
    init = members.pop("__init__", None)
    runtime = {m for m in vars(cls) if public(m)}
    assert set(members) == runtime, "stub and runtime members differ"
    if init is not None:
        assert parameters(init.args) == runtime_parameters(cls), "constructor"
    for member, fn in members.items():
        value = vars(cls)[member]
        is_property = any(isinstance(d, ast.Name) and d.id == "property" for d in fn.decorator_list)
        assert is_property == inspect.isgetsetdescriptor(value), member
        if not is_property and member not in DUNDERS:
            assert parameters(fn.args) == runtime_parameters(getattr(cls, member)), member


def test_every_public_name_explains_itself():
    undocumented = []
    for name in nb102.__all__:
        obj = getattr(nb102, name)
        if not inspect.isclass(obj):
            if callable(obj) and not (obj.__doc__ or "").strip():
                undocumented.append(name)
            continue
        if not (obj.__doc__ or "").strip():
            undocumented.append(name)
        # What a class inherits from Python's own (an exception's args) is Python's to explain.
        builtin = {m for base in obj.__mro__ if base.__module__ == "builtins" for m in vars(base)}
        for member in dir(obj):
            if member.startswith("_") or member in builtin:
                continue
            value = inspect.getattr_static(obj, member)
            if not (getattr(value, "__doc__", None) or "").strip():
                undocumented.append("{}.{}".format(name, member))
    assert undocumented == []
