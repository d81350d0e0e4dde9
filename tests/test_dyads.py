"""Partner-to-partner ratings: `python -m pipelines dyads`, the matrix with its margins, and
complementary suppression tested as an attacker would use it: from every cell and total shown,
no small group (a cell, a rater's row, a partner's column) can be worked out."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from survey_files import RATING, csv_text, load, programme, records, run, survey

from pipelines.query import dyads, scores, suppression

P = ["Alder Works", "Birch Lane", "Cedar Group", "Dale Partners"]


def everyone_rates_everyone(groups: dict[str, int], answer=lambda rater, target, i: (i + len(target)) % 5 + 1):
    return {(r, t): [answer(r, t, i) for i in range(n)] for r, n in groups.items() for t in groups if t != r}


@pytest.fixture
def matrix(store, tmp_path):
    """2025-Q3: Alder 6, Birch 3 (under k), Cedar 7, Dale 8 respondents; everyone rates everyone."""
    programme(tmp_path, P, store=store)
    groups = {"Alder Works": 6, "Birch Lane": 3, "Cedar Group": 7, "Dale Partners": 8}
    load(tmp_path, "survey", "q3.csv", survey("2025-Q3", groups, targets=tuple(P),
                                                ratings=everyone_rates_everyone(groups)), store=store)
    return store


# -- what an attacker computes: independent of the product's own check (matrix rank, not a null space)
def published(frame, outside=()):
    """The published table as equations: per shown margin, which hidden cells it adds up (the cells of
    the raters ``outside`` the margins, whose respondents the scores do not show, in none)."""
    cells = frame[(frame["rater"] != dyads.ALL) & (frame["target"] != dyads.ALL)].reset_index(drop=True)
    rows = frame[frame["target"] == dyads.ALL].set_index("rater")
    cols = frame[frame["rater"] == dyads.ALL].set_index("target")
    hidden = cells[cells["suppressed"]].reset_index(drop=True)
    inside = ~hidden["rater"].isin(list(outside)).to_numpy()
    equations = [(hidden["rater"] == r).to_numpy(float) * inside for r in rows.index if not rows.loc[r, "suppressed"]]
    equations += [(hidden["target"] == t).to_numpy(float) * inside for t in cols.index
                  if not cols.loc[t, "suppressed"]]
    return hidden, rows, cols, np.array(equations).reshape(len(equations), len(hidden))


def derivable(equations: np.ndarray, secret: np.ndarray) -> bool:
    """Whether ``secret`` (a sum over hidden cells) is a combination of the equations' left sides."""
    if not len(equations):
        return False
    return np.linalg.matrix_rank(np.vstack([equations, secret])) == np.linalg.matrix_rank(equations)


def assert_nothing_small_derivable(frame, k: int, true_n: dict, outside=()):
    """Every small cell, and every small rater's row and partner's column, stays unknown."""
    hidden, rows, cols, equations = published(frame, outside)
    for i, (rater, target) in enumerate(zip(hidden["rater"], hidden["target"])):
        if true_n[(rater, target)] < k:
            assert not derivable(equations, np.eye(len(hidden))[i]), (rater, target)
    for names, margins, side in ((rows.index, rows, "rater"), (cols.index, cols, "target")):
        for name in names:
            if margins.loc[name, "reason"] == scores.Suppression.SMALL_GROUP:
                assert not derivable(equations, (hidden[side] == name).to_numpy(float)), name


# -- the contract ------------------------------------------------------------------------
def test_dyads_gives_one_record_per_rater_target_and_wave(matrix):
    rows = records("dyads", store=matrix)
    assert list(rows[0]) == ["rater", "target", "wave", "score", "respondents", "suppressed"]
    assert len(rows) == 12 and {r["wave"] for r in rows} == {"2025-Q3"}
    assert [(r["rater"], r["target"]) for r in rows[:4]] == [
        ("Alder Works", "Birch Lane"), ("Alder Works", "Cedar Group"), ("Alder Works", "Dale Partners"),
        ("Birch Lane", "Alder Works")]


def test_a_score_is_the_mean_of_the_raters_answers_on_0_to_100(matrix, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_ANONYMITY_K", "3")
    shown = {(r["rater"], r["target"]): (r["score"], r["respondents"]) for r in records("dyads", store=matrix)}
    # Dale's 8 people rate Alder 2,3,4,5,1,2,3,4 on 1-5: (1+2+3+4+0+1+2+3)/8 = 2 points above 1 of 4
    assert shown[("Dale Partners", "Alder Works")] == (50.0, 8)
    # Birch's 3 rate Cedar 2,3,4: 1, 2, 3 above 1
    assert shown[("Birch Lane", "Cedar Group")] == (50.0, 3)


def test_a_rater_group_of_3_is_never_shown(matrix):
    rows = records("dyads", store=matrix)
    birch = [r for r in rows if r["rater"] == "Birch Lane"]
    assert len(birch) == 3 and all(r["suppressed"] and r["score"] is None and r["respondents"] is None for r in birch)
    margins = dyads.dyads(matrix.cursor(), margins=True)
    row = margins[(margins["rater"] == "Birch Lane") & (margins["target"] == dyads.ALL)].iloc[0]
    assert row["suppressed"] and row["reason"] == scores.Suppression.SMALL_GROUP and np.isnan(row["score"])


def test_nothing_small_can_be_worked_out_from_the_cells_and_margins_shown(matrix):
    frame = dyads.dyads(matrix.cursor(), margins=True)
    true_n = {(r, t): (3 if r == "Birch Lane" else {"Alder Works": 6, "Cedar Group": 7, "Dale Partners": 8}[r])
              for r in P for t in P if r != t}
    # the scores hide Birch (3) and, beside it, Alder (6): neither is in a margin
    assert_nothing_small_derivable(frame, 5, true_n, outside={"Birch Lane", "Alder Works"})
    cols = frame[frame["rater"] == dyads.ALL].set_index("target")
    assert not cols["suppressed"].any()
    assert cols["respondents"].to_dict() == {"Alder Works": 15, "Birch Lane": 15, "Cedar Group": 8,
                                             "Dale Partners": 7}


def test_the_rater_the_scores_hide_beside_the_small_one_gives_its_ratings_without_n(matrix):
    frame = dyads.dyads(matrix.cursor(), margins=True)
    alder = frame[frame["rater"] == "Alder Works"].set_index("target")
    assert alder["respondents"].isna().all()
    assert list(alder["suppressed"]) == [False, False, False, True]  # Birch, Cedar, Dale; All partners
    assert set(alder["reason"]) == {scores.Suppression.COMPLEMENT}
    assert set(frame.loc[frame["rater"] == "Birch Lane", "reason"]) == {scores.Suppression.SMALL_GROUP}


def test_a_smaller_k_shows_the_small_rater(matrix, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_ANONYMITY_K", "3")
    assert not any(r["suppressed"] for r in records("dyads", store=matrix))


def test_mirror_and_change_since_the_previous_wave(matrix, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_ANONYMITY_K", "3")
    groups = {"Alder Works": 6, "Cedar Group": 7}
    load(tmp_path, "survey", "q4.csv", survey("2025-Q4", groups, targets=("Alder Works", "Cedar Group"), start=100,
                                                ratings={("Alder Works", "Cedar Group"): [5] * 6,
                                                         ("Cedar Group", "Alder Works"): [2] * 7}), store=matrix)
    q4 = dyads.dyads(matrix.cursor(), wave="2025-Q4").set_index(["rater", "target"])
    assert q4.loc[("Alder Works", "Cedar Group"), ["score", "mirror_score"]].tolist() == [100.0, 25.0]
    # in 2025-Q3 Alder's six rated Cedar 2,3,4,5,1,2: 11/6 points above 1 of 4
    assert q4.loc[("Alder Works", "Cedar Group"), "previous_score"] == pytest.approx(100 * 11 / 24)
    assert q4.loc[("Alder Works", "Cedar Group"), "change"] == pytest.approx(100 - 100 * 11 / 24)
    assert [r["wave"] for r in records("dyads", "--wave", "2025-Q4", store=matrix)] == ["2025-Q4", "2025-Q4"]


def test_a_respondents_questions_about_a_partner_are_averaged_first(store, tmp_path):
    """Two grid questions about the same partner: a respondent counts once, with the mean of the two."""
    programme(tmp_path, P, store=store)
    header = ["Respondent ID", "Organisation", "Wave", "SG1", f"{RATING} [Birch Lane]",
              "How much do you trust each partner? [Birch Lane]"]
    text = csv_text(header, [[f"R{i}", "Alder Works", "2025-Q3", 4, 5, 3 if i else 1] for i in range(5)])
    load(tmp_path, "survey", "two.csv", text, store=store)
    # R0 answers 5 and 1 (100 and 0: 50), the four others 5 and 3 (75): (50 + 4 * 75) / 5
    assert records("dyads", store=store) == [{"rater": "Alder Works", "target": "Birch Lane", "wave": "2025-Q3",
                                              "score": 70.0, "respondents": 5, "suppressed": False}]


def test_a_7_point_survey_rates_on_its_own_scale(store, tmp_path):
    seven = ("Item ID,Question text,Factor,Scale min,Scale max,Reverse-scored\n"
             "SG1,We agreed the programme goals together,shared goals,1,7,No\n")
    load(tmp_path, "instrument", "items7.csv", seven, store=store)
    load(tmp_path, "partners", "partners.csv", "Partner\nAlder Works\nBirch Lane\n", store=store)
    header = ["Respondent ID", "Organisation", "Wave", "SG1", f"{RATING} [Birch Lane]"]
    load(tmp_path, "survey", "seven.csv", csv_text(header, [[f"R{i}", "Alder Works", "2025-Q3", 6, 7 - (i % 2)]
                                                              for i in range(6)]), store=store)
    assert records("dyads", store=store)[0]["score"] == 91.7  # 7 is 100, 6 is 83.3


def test_a_pinned_version_shows_the_ratings_as_they_were(matrix, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_ANONYMITY_K", "3")
    late = survey("2025-Q3", {"Alder Works": 6}, targets=("Cedar Group",), ratings={("Alder Works", "Cedar Group"): [1] * 6})
    load(tmp_path, "survey", "q3-corrected.csv", late, store=matrix)  # the same six people, answers replaced

    def alder_on_cedar(*asof):
        return next(r["score"] for r in records("dyads", *asof, store=matrix)
                    if (r["rater"], r["target"]) == ("Alder Works", "Cedar Group"))
    assert alder_on_cedar() == 0.0
    assert alder_on_cedar("--asof", "3") == 45.8
    code, _, err = run("dyads", "--asof", "9", store=matrix)
    assert code == 64 and "does not have data version 9" in err  # a usage error


def test_no_ratings_prints_only_the_header(store):
    assert run("dyads", store=store)[1] == "rater,target,wave,score,respondents,suppressed\n"
    assert records("dyads", store=store) == []


# -- the suppression itself, on tables an attacker would pick ------------------------------
def table(n):
    """A square table's cells (no diagonal) in row order: n, rows, cols, row totals, column totals."""
    n = np.asarray(n)
    size = len(n)
    cells = [(r, c) for r in range(size) for c in range(size) if r != c and n[r, c] > 0]
    values = np.array([n[r, c] for r, c in cells], dtype=int)
    rows = np.array([r for r, _ in cells], dtype=int)
    cols = np.array([c for _, c in cells], dtype=int)
    return (values, rows, cols, np.bincount(rows, weights=values, minlength=size).astype(int),
            np.bincount(cols, weights=values, minlength=size).astype(int))


def attack(values, rows, cols, row_n, col_n, shown, k):
    """Every small cell and small hidden total, checked against the equations the shown totals give."""
    hidden = np.flatnonzero(shown.cell_hidden)
    equations = [(rows[hidden] == r).astype(float) for r in range(len(row_n))
                 if not shown.row_hidden[r] and (rows[hidden] == r).any()]
    equations += [(cols[hidden] == c).astype(float) for c in range(len(col_n))
                  if not shown.col_hidden[c] and (cols[hidden] == c).any()]
    equations = np.array(equations).reshape(len(equations), len(hidden))
    found = []
    for i, cell in enumerate(hidden):
        if values[cell] < k and derivable(equations, np.eye(len(hidden))[i]):
            found.append(("cell", int(rows[cell]), int(cols[cell])))
    for kind, ends, totals, hidden_totals in (("row", rows, row_n, shown.row_hidden),
                                              ("col", cols, col_n, shown.col_hidden)):
        for total in np.flatnonzero((totals > 0) & (totals < k)):
            assert hidden_totals[total]
            if derivable(equations, (ends[hidden] == total).astype(float)):
                found.append((kind, int(total)))
    return found


def test_one_small_cell_needs_a_rectangle_hidden_with_it():
    values, rows, cols, row_n, col_n = table([[0, 9, 9, 9], [9, 0, 2, 9], [9, 9, 0, 9], [9, 9, 9, 0]])
    shown = suppression.protect(values, rows, cols, row_n, col_n, 5)
    assert shown.cell_hidden.sum() == 4 and not shown.row_hidden.any() and not shown.col_hidden.any()
    assert attack(values, rows, cols, row_n, col_n, shown, 5) == []


def test_a_small_row_total_cannot_be_summed_from_the_columns():
    """Rater 0 has 4 people in all: its row total and every cell are small; the columns are shown."""
    values, rows, cols, row_n, col_n = table([[0, 1, 2, 1], [8, 0, 9, 7], [6, 8, 0, 9], [7, 6, 8, 0]])
    shown = suppression.protect(values, rows, cols, row_n, col_n, 5)
    assert shown.row_hidden[0] and shown.row_primary[0]
    assert attack(values, rows, cols, row_n, col_n, shown, 5) == []


def test_a_list_under_one_total_hides_the_smallest_other_group_as_the_scores_do():
    """One total (the programme) over five partners, one of them small: the smallest other partner
    (ties: the earlier) is hidden with it, never the programme while a partner can be."""
    n = np.array([12, 3, 6, 6, 20])
    shown = suppression.protect(n, np.zeros(5, int), np.full(5, -1), [n.sum()], [], 5)
    assert list(shown.cell_hidden) == [False, True, True, False, False] and not shown.row_hidden[0]
    alone = suppression.protect(np.array([3, 0]), [0, 0], [-1, -1], [3], [], 5)
    assert alone.row_hidden[0] and alone.row_primary[0]
    two = suppression.protect(np.array([3, 7]), [0, 0], [-1, -1], [10], [], 5)
    assert list(two.cell_hidden) == [True, True] and not two.row_hidden[0]


@hsettings(max_examples=60, deadline=None)
@given(st.integers(2, 6).flatmap(lambda size: st.lists(
    st.lists(st.integers(0, 12), min_size=size, max_size=size), min_size=size, max_size=size)),
    st.integers(3, 6))
def test_no_small_group_of_any_matrix_can_be_worked_out(grid, k):
    values, rows, cols, row_n, col_n = table(grid)
    if not len(values):
        return
    shown = suppression.protect(values, rows, cols, row_n, col_n, k)
    assert shown.cell_hidden[values < k].all()
    assert attack(values, rows, cols, row_n, col_n, shown, k) == []
    assert (suppression.follows(shown.cell_hidden, rows, cols, ~shown.row_hidden, ~shown.col_hidden,
                                np.eye(len(values))[values < k]) == False).all()  # noqa: E712


def test_a_late_rater_loaded_then_undone_changes_no_version(matrix, tmp_path):
    """Issue 19's differencing attack on the matrix: one late Cedar respondent rating everyone, loaded
    and undone; every version shows what the first did (Cedar's release keeps its 7 people)."""
    cursor = matrix.cursor()
    first = records("dyads", store=matrix)
    late = {("Cedar Group", t): [1] for t in P if t != "Cedar Group"}
    load(tmp_path, "survey", "late.csv", survey("2025-Q3", {"Cedar Group": 1}, targets=tuple(P), start=300,
                                                  ratings=late), store=matrix)
    assert run("undo", "4", store=matrix)[0] == 0
    for version in ("3", "4", "5"):
        assert records("dyads", "--asof", version, store=matrix) == first, version
    cedar = dyads.dyads(cursor, margins=True)
    row = cedar[(cedar["rater"] == "Cedar Group") & (cedar["target"] == dyads.ALL)].iloc[0]
    assert row["respondents"] == 7


def test_five_late_respondents_of_whom_one_rated_a_partner_wait(matrix, tmp_path):
    """Five late Dale respondents (their organisation's scores could take them) of whom one alone
    rated Alder: showing them would move Dale's Alder cell by one person's rating. The batch waits."""
    first = records("dyads", store=matrix)
    late = {("Dale Partners", "Alder Works"): [1]}
    load(tmp_path, "survey", "late.csv", survey("2025-Q3", {"Dale Partners": 5}, targets=tuple(P), start=300,
                                                  ratings=late), store=matrix)
    assert records("dyads", store=matrix) == first
    dale = scores.factor_scores(matrix.cursor(), k=5, programme=False)
    assert set(dale[dale["partner"].eq("Dale Partners")]["pending"]) == {"5 late responses are not shown yet"}


def test_a_late_row_that_only_rates_changes_no_version(matrix, tmp_path):
    """A late Dale row with every question blank but a rating of Alder: no respondent the scores know,
    so it is in no cell, and the versions before and after show the same."""
    first = records("dyads", store=matrix)
    late = {("Dale Partners", "Alder Works"): [1]}
    load(tmp_path, "survey", "late.csv", survey("2025-Q3", {"Dale Partners": 1}, targets=tuple(P), start=300,
                                                  ratings=late, answer=lambda partner, i: (None, None)),
         store=matrix)
    assert records("dyads", store=matrix) == first
    assert records("dyads", "--asof", "3", store=matrix) == first


def test_five_late_raters_are_shown_with_their_organisation(matrix, tmp_path):
    late = {("Dale Partners", t): [5] * 5 for t in P if t != "Dale Partners"}
    load(tmp_path, "survey", "late.csv", survey("2025-Q3", {"Dale Partners": 5}, targets=tuple(P), start=300,
                                                  ratings=late), store=matrix)
    shown = {(r["rater"], r["target"]): r["respondents"] for r in records("dyads", store=matrix)}
    assert shown[("Dale Partners", "Alder Works")] == 13
