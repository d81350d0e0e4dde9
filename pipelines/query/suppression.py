"""Complementary suppression for a table of groups published with its totals.

The table: cells (a group's respondents and the sum of their values), each inside at most two
published totals, its row's and its column's (a partner-to-partner matrix with its margins; for a
list of partners under a programme total, the one total). A total is the exact sum of its cells,
so whoever sees the shown cells and the shown totals knows, for every shown total, the sum of its
hidden cells: one linear equation per shown total over the hidden cells' sums (and one over their
counts). A group with 1 to k-1 respondents (a cell or a total: a *secret*) is hidden; it must also
not follow from those equations, alone or as a sum (a hidden total's cells added up).

How the cells to hide are chosen
--------------------------------
Read the table as a graph: a node per shown total, one node ``F`` standing for every hidden total
(no equation), an edge per cell between its row's and its column's node (``F`` for a missing or
hidden total). A hidden cell follows from the equations exactly when its edge is a bridge of the
graph of hidden cells (no cycle through it); on a cycle, adding to it and taking from its
neighbours along the cycle changes no shown total. So for each small cell that is a bridge, the
cheapest path between its two ends is hidden too: a path over shown cells (cost: their
respondents) and over "hide this total" steps (cost: the total's respondents plus all the cells'),
so a total (the margin a matrix is read by, a programme row) is hidden only when no cells can do,
as ``scores`` hides a partner before the programme. Ties go to the earlier cell in the caller's
order. Then every secret, cells and hidden totals alike, is checked exactly: a secret ``v`` (a
vector over the hidden cells) follows from the equations ``A`` if and only if ``v`` lies in A's
row space, i.e. is orthogonal to A's null space (``scipy.linalg.null_space``). A secret that still
follows (a hidden total whose cells can be summed from the others) gets the cheapest neighbouring
cell or total hidden that makes it not follow, until none does; hiding more never makes a hidden
group follow again.

Known limits: counts are bounded (a hidden cell has at least 1 and, when it is small, at most k-1
respondents; values lie in 0..100), and with such bounds a sum of two hidden cells can sometimes
be split (4 + 5 hidden together under k = 5: the small one had 4). Values are then bounded, not
known. The ``scores`` module documents the same limit.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
from scipy.linalg import null_space

FREE = -1  # the graph node of every hidden or missing total
_TOL = 1e-9


@dataclass
class Protected:
    """What a table shows: per cell and per total, whether it is hidden and whether because it is small."""
    cell_hidden: np.ndarray
    cell_primary: np.ndarray
    row_hidden: np.ndarray
    row_primary: np.ndarray
    col_hidden: np.ndarray
    col_primary: np.ndarray


def protect(n, rows, cols, row_n, col_n, k: int, secret=None) -> Protected:
    """Hide what must be hidden in a table (module docstring). ``n``: respondents per cell (cells with
    none are not in the table); ``rows``/``cols``: each cell's row and column total (index, -1 for
    none); ``row_n``/``col_n``: respondents per total. Cells in the caller's order break ties.
    ``secret``: (cells, rows, cols) to hide and protect as if small (what a rule across data
    versions hides), each a boolean array or None."""
    n = np.asarray(n, dtype="int64")
    rows, cols = np.asarray(rows, dtype="int64"), np.asarray(cols, dtype="int64")
    row_n, col_n = np.asarray(row_n, dtype="int64"), np.asarray(col_n, dtype="int64")
    cell_primary = (n > 0) & (n < k)
    row_primary, col_primary = (row_n > 0) & (row_n < k), (col_n > 0) & (col_n < k)
    given = [np.zeros(len(x), bool) if s is None else np.asarray(s, dtype=bool)
             for s, x in zip(secret or (None, None, None), (n, row_n, col_n))]
    cell_secret, row_secret, col_secret = cell_primary | given[0], row_primary | given[1], col_primary | given[2]
    table = _Table(n, rows, cols, row_n, col_n, cell_secret.copy(), row_secret.copy(), col_secret.copy())
    for cell in np.flatnonzero(cell_secret):
        table.close_cycle(int(cell))
    table.settle_secrets(cell_secret, row_secret, col_secret)
    return Protected(table.cell_hidden, cell_primary, table.row_hidden, row_primary, table.col_hidden, col_primary)


def follows(hidden_cells, rows, cols, row_shown, col_shown, secrets) -> np.ndarray:
    """For each secret (a 0/1 vector over all cells: the hidden cells it adds up), whether the shown
    totals determine it. What an attacker can compute; used to check a table and by the tests."""
    hidden = np.flatnonzero(np.asarray(hidden_cells, dtype=bool))
    equations = _equations(hidden, np.asarray(rows), np.asarray(cols), np.asarray(row_shown, dtype=bool),
                           np.asarray(col_shown, dtype=bool))
    basis = _null_basis(equations, len(hidden))
    vectors = np.asarray(secrets, dtype="float64").reshape(-1, len(hidden_cells))[:, hidden]
    return np.abs(vectors @ basis).max(axis=1, initial=0.0) < _TOL


# -- the work ---------------------------------------------------------------------------

def _equations(hidden: np.ndarray, rows, cols, row_shown, col_shown) -> np.ndarray:
    """One row per shown total that holds a hidden cell: its hidden cells (1) over ``hidden``."""
    out = []
    for ends, shown in ((rows[hidden], row_shown), (cols[hidden], col_shown)):
        for total in np.unique(ends[ends >= 0]):
            if shown[total]:
                out.append((ends == total).astype("float64"))
    return np.array(out).reshape(len(out), len(hidden))


def _null_basis(equations: np.ndarray, unknowns: int) -> np.ndarray:
    if unknowns == 0:
        return np.zeros((0, 0))
    if len(equations) == 0:
        return np.eye(unknowns)
    return null_space(equations)


@dataclass
class _Table:
    n: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    row_n: np.ndarray
    col_n: np.ndarray
    cell_hidden: np.ndarray
    row_hidden: np.ndarray
    col_hidden: np.ndarray

    # graph nodes: row total i -> i, column total j -> len(rows) + j, hidden or missing -> FREE
    def _node(self, total: int, is_row: bool) -> int:
        if total < 0 or (self.row_hidden if is_row else self.col_hidden)[total]:
            return FREE
        return int(total) if is_row else len(self.row_n) + int(total)

    def _ends(self, cell: int) -> tuple[int, int]:
        return self._node(self.rows[cell], True), self._node(self.cols[cell], False)

    def close_cycle(self, cell: int) -> None:
        """Hide the cheapest path that puts ``cell`` on a cycle of hidden cells (if it is not on one)."""
        start, goal = self._ends(cell)
        if start == goal or self._path(start, goal, cell, hidden_only=True) is not None:
            return
        steps = self._path(start, goal, cell, hidden_only=False)
        for kind, index in steps or ():
            if kind == "cell":
                self.cell_hidden[index] = True
            elif kind == "row":
                self.row_hidden[index] = True
            else:
                self.col_hidden[index] = True

    def _path(self, start: int, goal: int, without: int, hidden_only: bool):
        """Cheapest steps from ``start`` to ``goal`` not through cell ``without`` (Dijkstra; the steps
        are cells, and 'hide a total' moves from its node to FREE)."""
        edges: dict[int, list[tuple[int, int, int, tuple[str, int]]]] = {}

        def add(a: int, b: int, cost: int, order: int, step: tuple[str, int]) -> None:
            edges.setdefault(a, []).append((cost, order, b, step))
            edges.setdefault(b, []).append((cost, order, a, step))

        for cell in range(len(self.n)):
            if cell == without or self.n[cell] <= 0 or (hidden_only and not self.cell_hidden[cell]):
                continue
            a, b = self._ends(cell)
            add(a, b, 0 if self.cell_hidden[cell] else int(self.n[cell]), cell, ("cell", cell))
        if not hidden_only:  # a total costs more than all the cells together: hidden only when no cells can do
            extra, order = int(self.n.sum()) + 1, len(self.n)
            for kind, totals, counts, hidden in (("row", range(len(self.row_n)), self.row_n, self.row_hidden),
                                                 ("col", range(len(self.col_n)), self.col_n, self.col_hidden)):
                for total in totals:
                    if not hidden[total] and counts[total] > 0:
                        add(self._node(total, kind == "row"), FREE, extra + int(counts[total]), order + total,
                            (kind, total))
                order += len(totals)
        queue = [(0, 0, start, ())]
        done: set[int] = set()
        while queue:
            cost, _order, node, steps = heapq.heappop(queue)
            if node == goal:
                return [s for s in steps if not (s[0] == "cell" and self.cell_hidden[s[1]])]
            if node in done:
                continue
            done.add(node)
            for step_cost, order, other, step in edges.get(node, ()):
                if other not in done:
                    heapq.heappush(queue, (cost + step_cost, order, other, (*steps, step)))
        return None

    def _secrets(self, cell_primary, row_primary, col_primary) -> np.ndarray:
        """One 0/1 vector over all cells per secret: each small cell, and each small total's cells."""
        cells = len(self.n)
        vectors = [np.eye(cells)[i] for i in np.flatnonzero(cell_primary)]
        for ends, primary in ((self.rows, row_primary), (self.cols, col_primary)):
            vectors += [(ends == total).astype("float64") for total in np.flatnonzero(primary)]
        return np.array(vectors).reshape(len(vectors), cells)

    def _following(self, secrets: np.ndarray) -> np.ndarray:
        return follows(self.cell_hidden, self.rows, self.cols, ~self.row_hidden, ~self.col_hidden, secrets)

    def settle_secrets(self, cell_primary, row_primary, col_primary) -> None:
        """Until no secret follows from the shown totals: hide the cheapest cell near the first one that
        does, or else the cheapest total anywhere, that stops it following (a small total's cells are
        summed by every column less every other row when all of those are shown: only hiding another
        total stops that); if no single one does, the cheapest near cell, and look again."""
        secrets = self._secrets(cell_primary, row_primary, col_primary)
        while len(secrets):
            following = np.flatnonzero(self._following(secrets))
            if not len(following):
                return
            secret = secrets[following[0]]
            options = self._options(secret)
            if not options:  # nothing shown is left to hide but cells far from it: hide every total
                self.row_hidden[:] = True
                self.col_hidden[:] = True
                return
            self._apply(next((o for o in options if not self._try(o, secret)), options[0]), True)

    def _options(self, secret: np.ndarray) -> list[tuple[int, int, str, int]]:
        """(cost, order, kind, index): the shown cells sharing a total with the secret's cells, then every
        shown total, each by its respondents."""
        cells = np.flatnonzero(secret > 0)
        rows, cols = set(self.rows[cells]) - {-1}, set(self.cols[cells]) - {-1}
        near = [(int(self.n[c]), c, "cell", c) for c in range(len(self.n))
                if not self.cell_hidden[c] and self.n[c] > 0 and (self.rows[c] in rows or self.cols[c] in cols)]
        totals = [(int(self.row_n[r]), len(self.n) + r, "row", r) for r in range(len(self.row_n))
                  if not self.row_hidden[r] and self.row_n[r] > 0]
        totals += [(int(self.col_n[c]), len(self.n) + len(self.row_n) + c, "col", c) for c in range(len(self.col_n))
                   if not self.col_hidden[c] and self.col_n[c] > 0]
        return sorted(near) + sorted(totals)

    def _apply(self, option, hidden: bool) -> None:
        _cost, _order, kind, index = option
        {"cell": self.cell_hidden, "row": self.row_hidden, "col": self.col_hidden}[kind][index] = hidden

    def _try(self, option, secret: np.ndarray) -> bool:
        """Whether ``secret`` still follows with ``option`` hidden too."""
        self._apply(option, True)
        try:
            return bool(self._following(secret[None, :])[0])
        finally:
            self._apply(option, False)
