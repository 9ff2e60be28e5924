"""``nats_bench.genotype_utils``: cells as the reference's structures (``TopologyStructure``), parsed and judged
by nb102's search space (``nb102.Arch``).

A structure holds one cell of the NAS-Bench-201 space: three nodes, each fed by every earlier node through one of
the five ops. A string that leaves an edge out has ``none`` on it (as ``str2fullstructure`` fills it), and every
structure lists its edges in the official order; the reference keeps a string's edges as written, which differs
only for strings that are not official ones.
"""

from __future__ import annotations

import itertools
from typing import Any, List, Optional, Sequence, Tuple

from ._native import Arch

__all__ = ["TopologyStructure", "topology_str2structure"]

_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
_NODES = 4

Node = Tuple[Tuple[str, int], ...]


def topology_str2structure(xstr: Any) -> "TopologyStructure":
    """The structure of an architecture string (a structure is returned as it is)."""
    return TopologyStructure.str2structure(xstr)


def _nodes_of(arch: Arch) -> List[Node]:
    ops = iter(arch.ops)
    return [tuple((next(ops), j) for j in range(i)) for i in range(1, _NODES)]


class TopologyStructure:
    """A cell as nodes of ``(op, input node)`` edges: the reference's ``TopologyStructure`` over ``nb102.Arch``."""

    def __init__(self, genotype: Sequence[Sequence[Tuple[str, int]]]) -> None:
        assert isinstance(genotype, (list, tuple)), "invalid class of genotype : {:}".format(type(genotype))
        ops = {}
        for idx, node_info in enumerate(genotype):
            assert isinstance(node_info, (list, tuple)), "invalid class of node_info : {:}".format(type(node_info))
            assert len(node_info) >= 1, "invalid length : {:}".format(len(node_info))
            for node_in in node_info:
                assert isinstance(node_in, (list, tuple)), "invalid class of in-node : {:}".format(type(node_in))
                assert len(node_in) == 2 and node_in[1] <= idx, "invalid in-node : {:}".format(node_in)
                ops[(idx + 1, node_in[1])] = node_in[0]
        edges = [(i, j) for i in range(1, _NODES) for j in range(i)]
        if len(genotype) != _NODES - 1 or sorted(ops) != edges or len(ops) != sum(len(n) for n in genotype):
            raise ValueError(
                "nb102 structures are cells of the NAS-Bench-201 space: expected 3 nodes, node i fed once by each "
                "earlier node, found {:}".format(genotype)
            )
        self._arch = Arch.from_ops([ops[e] for e in edges])
        self.node_num = len(genotype) + 1
        self.nodes = [tuple(tuple(edge) for edge in node_info) for node_info in genotype]
        self.node_N = [len(node_info) for node_info in genotype]

    @classmethod
    def _of(cls, arch: Arch) -> "TopologyStructure":
        return cls(_nodes_of(arch))

    def tolist(self, remove_str: Optional[str]) -> Tuple[Optional[List[Node]], bool]:
        """The nodes with each one's edges sorted by input node then op, without the edges of op ``remove_str``;
        ``(None, False)`` when a node is left with none."""
        genotypes = []
        for node_info in self.nodes:
            kept = tuple(edge for edge in sorted(node_info, key=lambda x: (x[1], x[0])) if edge[0] != remove_str)
            if len(kept) == 0:
                return None, False
            genotypes.append(kept)
        return genotypes, True

    def node(self, index: int) -> Node:
        """``nodes[index]``, for ``0 < index <= len(self)`` (as the reference checks it)."""
        assert 0 < index <= len(self), "invalid index={:} < {:}".format(index, len(self))
        return self.nodes[index]

    def tostr(self) -> str:
        """The architecture string."""
        return "+".join("|{:}|".format("|".join("{:}~{:}".format(op, j) for op, j in node)) for node in self.nodes)

    def check_valid(self) -> bool:
        """Whether the output is reached from the input through an op other than ``none``."""
        return self._arch.is_valid

    def to_unique_str(self, consider_zero: Optional[bool] = False) -> str:
        """The string shared by isomorphic cells: ``consider_zero`` ``None`` (every op kept), ``False`` (skips
        merged) or ``True`` (skips merged and ``none`` edges zeroed, the reference's 6,466 classes)."""
        return self._arch.unique_str(consider_zero)

    def check_valid_op(self, op_names: Sequence[str]) -> bool:
        """Whether every edge's op is one of ``op_names``."""
        return all(op in op_names for node in self.nodes for op, _ in node)

    def __repr__(self) -> str:
        return "{:}({:} nodes with {:})".format(self.__class__.__name__, self.node_num, self.tostr())

    def __len__(self) -> int:
        return len(self.nodes) + 1

    def __getitem__(self, index: int) -> Node:
        return self.nodes[index]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TopologyStructure) and self.nodes == other.nodes

    def __hash__(self) -> int:
        return hash(tuple(self.nodes))

    @staticmethod
    def str2structure(xstr: Any) -> "TopologyStructure":
        """The structure of an architecture string (parsed by nb102's search space)."""
        if isinstance(xstr, TopologyStructure):
            return xstr
        assert isinstance(xstr, str), "must take string (not {:}) as input".format(type(xstr))
        return TopologyStructure._of(Arch(xstr))

    @staticmethod
    def str2fullstructure(xstr: str, default_name: str = "none") -> "TopologyStructure":
        """The structure of a string that may leave edges out, which get ``default_name``."""
        assert isinstance(xstr, str), "must take string (not {:}) as input".format(type(xstr))
        arch = Arch(xstr)
        if default_name == "none":
            return TopologyStructure._of(arch)
        # The string's edges, once nb102 has checked it: `op~j` in the i-th node.
        given = {
            (i, int(token.rsplit("~", 1)[1]))
            for i, node in enumerate(xstr.split("+"), 1)
            for token in node.split("|")
            if "~" in token
        }
        edges = [(i, j) for i in range(1, _NODES) for j in range(i)]
        return TopologyStructure._of(
            Arch.from_ops([op if edge in given else default_name for edge, op in zip(edges, arch.ops)])
        )

    @staticmethod
    def gen_all(search_space: Sequence[str], num: int, return_ori: bool) -> List[Any]:
        """Every cell of ``num`` nodes over the ops ``search_space``, the last edge changing fastest (the
        reference's order; for the five ops and 4 nodes, the 15,625 cells of the space)."""
        assert isinstance(search_space, (list, tuple)), "invalid class of search-space : {:}".format(
            type(search_space)
        )
        assert num >= 2, "There should be at least two nodes in a neural cell instead of {:}".format(num)
        archs = []
        for ops in itertools.product(search_space, repeat=num * (num - 1) // 2):
            it = iter(ops)
            archs.append([tuple((next(it), j) for j in range(i)) for i in range(1, num)])
        if return_ori:
            return archs
        return [TopologyStructure(x) for x in archs]
