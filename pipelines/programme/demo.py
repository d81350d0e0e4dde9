"""The deterministic demo programme: a fictional rail alliance, as the tools would export it.

``demo_files()`` returns the files a programme office would upload, in load order:
the partners list, one pulse-survey export per quarterly wave (wide, one column per item
of the default instrument, a grid rating the other partners and a free-text question), the
milestone schedule, the RAID log and the headcount list; ``DEMO_ACTIONS`` are the actions the
alliance agreed (recorded after the files by ``bootstrap.load_demo``). The same seed gives
the same bytes on every run and every machine: all randomness comes from numpy
Generators seeded from ``(seed, component)``, dates are computed from the fixed
``DEMO_AS_OF`` (never from the clock), and CSVs are written with ``\\n`` line ends.

Nothing here touches the store; loading the files goes through the ordinary pipelines.

How the story is built. Each partner has a latent position (0-100) on each factor in
each wave: an overall arc (improving, stalling, slipping, steady, noisy) plus a
per-factor offset and drift, so factors differ within a partner. Survey answers are
drawn around those positions. Delivery and the issue log are drawn from the same
positions, so the evidence agrees with what people say:

* milestones: the chance of finishing by the baseline date rises, and the slip falls,
  with the owners' mutual accountability in the wave of the baseline date;
* issues: open communication shortens the time between a problem arising and it being
  raised (so fewer issues have grown severe by then, and more arrive as risks), and
  raises the share of issues a partner raises about its own work; the owning partner's
  mutual accountability shortens the time to resolve and lowers the escalation rate.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from pipelines.programme.factors import FACTORS
from pipelines.programme.instrument import DEFAULT_INSTRUMENT, SCALE_MAX, SCALE_MIN

DEMO_PROGRAMME = "Northline Rail Alliance"
DEMO_LABEL = "Demo programme: Northline Rail Alliance (fictional)"
DEMO_SEED = 7
DEMO_AS_OF = date(2026, 11, 24)
"""The demo's 'today': the last date its logs know about. Fixed, so the bytes never change."""

WAVES: tuple[str, ...] = (
    "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3",
    "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3",
)
MISSING_SHARE = 0.03

SURVEY_HEADER: tuple[str, ...] = ("Respondent ID", "Organisation", "Response date") + tuple(
    item.item_id for item in DEFAULT_INSTRUMENT)
MILESTONE_HEADER: tuple[str, ...] = (
    "Milestone ID", "Title", "Owner", "Baseline date", "Forecast date", "Actual date", "Status")
ISSUE_HEADER: tuple[str, ...] = (
    "Issue ID", "Title", "Type", "Raised by", "Owned by", "Raised date", "Resolved date",
    "Severity", "Status", "Escalated")
PARTNER_HEADER: tuple[str, ...] = ("Partner", "Aliases")
RATING_QUESTION = "How well does your organisation work with each partner?"
COMMENT_HEADER = "Anything else you would like to tell us?"
HEADCOUNT_HEADER: tuple[str, ...] = ("Organisation", "Wave", "Invited")
SEVERITIES: tuple[str, ...] = ("Low", "Medium", "High", "Critical")


@dataclass
class DemoFile:
    dataset: str  # a key of fields.DATASETS
    name: str     # file name, as a user would upload it
    data: bytes   # UTF-8 CSV
    wave: str | None = None  # the survey wave the file holds (survey files only)


@dataclass(frozen=True)
class DemoPartner:
    name: str
    aliases: tuple[str, ...]
    headcount: int      # staff invited to each pulse survey
    arc: str            # improving | stalling | slipping | steady_high | noisy
    domain: str         # kind of work: picks milestone and issue titles
    levels: tuple[float, ...]  # overall latent position per wave, 0-100
    offsets: dict[str, float] = field(default_factory=dict)  # per factor, added to levels
    drifts: dict[str, float] = field(default_factory=dict)   # per factor, points per wave


def _f(sg: float = 0, jg: float = 0, ps: float = 0, oc: float = 0,
       ma: float = 0) -> dict[str, float]:
    return dict(zip(FACTORS, (float(sg), float(jg), float(ps), float(oc), float(ma))))


PARTNERS: tuple[DemoPartner, ...] = (
    # The main civils contractor: started transactional, moving steadily to collaboration;
    # open communication and accountability lead the way, psychological safety lags.
    DemoPartner("Harbour Civils", ("Harbour Civils Ltd", "HCL"), 40, "improving", "civils",
                (36, 39, 43, 47, 52, 56, 61, 66), _f(sg=4, jg=-2, ps=-7, oc=0, ma=2),
                _f(oc=1.2, ma=0.8, ps=-0.4)),
    # The designer: bought into the shared goals early but people still do not feel safe
    # to admit mistakes; improving throughout.
    DemoPartner("Kestrel Design", ("Kestrel Design Ltd", "KDL"), 32, "improving", "design",
                (45, 48, 52, 56, 60, 64, 68, 72), _f(sg=13, jg=2, ps=-14, oc=-2, ma=0),
                _f(oc=1.4, ps=0.5)),
    # Signalling contractor: a quick start, then stuck in the middle of the spectrum;
    # feels governance leaves it out.
    DemoPartner("Corvell Signalling", ("Corvell Signalling Services", "CSS"), 25, "stalling",
                "signalling", (42, 47, 52, 54, 55, 54, 55, 54), _f(sg=1, jg=-9, ps=2, oc=2, ma=-1)),
    # Systems integrator: began well, slipping back to cooperation as it falls behind;
    # accountability and openness fall fastest.
    DemoPartner("Brackwater Systems", ("Brackwater Systems Integration", "BSI"), 20, "slipping",
                "systems", (64, 65, 62, 58, 54, 50, 47, 44), _f(sg=-2, jg=3, ps=0, oc=3, ma=-2),
                _f(oc=-1.2, ma=-1.2)),
    # The client's own team: steadily high, a little weaker on psychological safety.
    DemoPartner("Northline Infrastructure", ("Northline Infrastructure Authority", "NIA"), 14,
                "steady_high", "client", (74, 75, 73, 76, 75, 74, 76, 75),
                _f(sg=6, jg=4, ps=-5, oc=0, ma=-2)),
    # A specialist consultancy of a handful of people: noisy, and mostly under the
    # anonymity threshold.
    DemoPartner("Pipwell Ecology", ("Pipwell Ecology Consultants", "PEC"), 6, "noisy", "ecology",
                (55, 55, 55, 55, 55, 55, 55, 55)),
)

_LOCATIONS: tuple[str, ...] = (
    "Ashby Cutting", "Millbrook Viaduct", "Holt Lane level crossing", "Carrow Junction",
    "Northline Depot", "Elm Park station", "Tunnel east portal", "Brinsford Bridge",
    "Gorse Hill embankment", "Sidings 4-7", "Wexcombe station", "River Tarn culvert",
)
_MILESTONE_PHASES: dict[str, tuple[str, ...]] = {
    "civils": ("Earthworks complete", "Piling complete", "Drainage installed",
               "Bridge deck poured", "Track bed handed over", "Retaining wall complete"),
    "design": ("Design freeze", "Issued-for-construction drawings", "Detailed design accepted",
               "Design model federated", "Temporary works design approved"),
    "signalling": ("Signalling design approved", "Interlocking factory test",
                   "Signal heads installed", "Cable routes complete", "Signalling commissioned"),
    "systems": ("CCTV installed", "Comms cabinets fitted", "Systems integration test passed",
                "SCADA cut-over", "Network resilience test passed"),
    "client": ("Possession plan agreed", "Land access granted", "Planning consent obtained",
               "Stage gate review passed", "Operator acceptance"),
    "ecology": ("Bat survey complete", "Newt licence granted", "Habitat mitigation installed",
                "Pre-works ecology walkover", "Vegetation clearance window agreed"),
    "joint": ("Interface sign-off", "Integrated test complete", "Joint handover",
              "Blockade readiness review", "Combined possession complete"),
}
_ISSUE_SUBJECTS: dict[str, tuple[str, ...]] = {
    "civils": ("Ground conditions differ from survey", "Plant breakdown delaying works",
               "Spoil removal behind plan", "Concrete pour rejected", "Drainage clash found"),
    "design": ("Drawings issued late", "Design clash with existing services",
               "Calculation package incomplete", "Model not updated after change",
               "Temporary works design queried"),
    "signalling": ("Interlocking data error", "Cable route blocked", "Signal sighting concern",
                   "Test log incomplete", "Equipment delivery late"),
    "systems": ("CCTV coverage gap", "Network configuration mismatch", "SCADA points list wrong",
                "Supplier firmware defect", "Integration test failed"),
    "client": ("Possession cancelled at short notice", "Access permit delayed",
               "Change request awaiting decision", "Consent condition unclear",
               "Operator requirements changed"),
    "ecology": ("Nesting birds found in clearance area", "Survey window missed",
                "Licence condition breached", "Mitigation fencing damaged",
                "Ecology report late"),
}
_RISK_PREFIX = "Risk that"
_RISK_SUBJECTS: dict[str, tuple[str, ...]] = {
    "civils": ("wet weather stops earthworks", "piling rig is not available",
               "utility diversion overruns"),
    "design": ("design changes arrive after freeze", "approval of drawings takes longer",
               "design resource is pulled to another job"),
    "signalling": ("factory test slips", "testers are not available for the blockade",
                   "data changes are needed late"),
    "systems": ("supplier misses delivery", "integration environment is not ready",
                "cyber assessment finds gaps"),
    "client": ("possession is withdrawn", "funding approval is delayed",
               "operator asks for scope change"),
    "ecology": ("protected species delay clearance", "licence is not granted in time",
                "survey season is missed"),
}
_DISPUTE_SUBJECTS: tuple[str, ...] = (
    "Disagreement over cost of rework", "Dispute over responsibility for delay",
    "Scope boundary dispute", "Disputed compensation event", "Disagreement over test acceptance",
)


# ----------------------------------------------------------------------------------- time

def wave_start(wave: str) -> date:
    year, quarter = wave.split("-Q")
    return date(int(year), 3 * (int(quarter) - 1) + 1, 1)


def wave_end(wave: str) -> date:
    start = wave_start(wave)
    following = date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
    return following - timedelta(days=1)


def wave_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _wave_index(day: date) -> int:
    """Index into WAVES of the wave holding ``day``, clamped to the first and last wave."""
    label = wave_of(day)
    if label < WAVES[0]:
        return 0
    if label > WAVES[-1]:
        return len(WAVES) - 1
    return WAVES.index(label)


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _rng(seed: int, component: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), component])


def _gamma_days(rng: np.random.Generator, mean: float) -> int:
    """A right-skewed whole number of days, at least 1, with the given mean."""
    return max(1, int(round(rng.gamma(2.0, mean / 2))))


# ------------------------------------------------------------------------------- partners

def demo_partner_names() -> list[str]:
    return [partner.name for partner in PARTNERS]


def demo_levels(seed: int = DEMO_SEED) -> pd.DataFrame:
    """Latent positions (0-100): one row per partner x wave x factor, columns
    partner, wave, factor, level. The truth the demo files were drawn from."""
    rng = _rng(seed, 0)
    rows = []
    for partner in PARTNERS:
        noisy = partner.arc == "noisy"
        offsets = ({f: float(v) for f, v in zip(FACTORS, rng.normal(0, 6, len(FACTORS)))}
                   if noisy else partner.offsets)
        wave_shift = rng.normal(0, 8 if noisy else 1.2, len(WAVES))
        for t, wave in enumerate(WAVES):
            factor_noise = rng.normal(0, 5 if noisy else 0.8, len(FACTORS))
            for k, factor in enumerate(FACTORS):
                level = (partner.levels[t] + offsets.get(factor, 0.0)
                         + partner.drifts.get(factor, 0.0) * (t - (len(WAVES) - 1) / 2)
                         + wave_shift[t] + factor_noise[k])
                rows.append((partner.name, wave, factor, float(np.clip(level, 3.0, 97.0))))
    return pd.DataFrame(rows, columns=["partner", "wave", "factor", "level"])


def _level_lookup(levels: pd.DataFrame) -> dict[tuple[str, int, str], float]:
    index = {wave: t for t, wave in enumerate(WAVES)}
    return {(row.partner, index[row.wave], row.factor): row.level
            for row in levels.itertuples(index=False)}


def _csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def partners_csv() -> bytes:
    return _csv(pd.DataFrame({
        "Partner": [partner.name for partner in PARTNERS],
        "Aliases": ["; ".join(partner.aliases) for partner in PARTNERS],
    }, columns=list(PARTNER_HEADER)))


# --------------------------------------------------------------------------------- survey

def _respondent_counts(rng: np.random.Generator) -> dict[str, list[int]]:
    counts: dict[str, list[int]] = {}
    for partner in PARTNERS:
        if partner.arc == "noisy":
            # A handful of people: 3 or 4 answer in most waves, 5 or 6 in two of them.
            per_wave = rng.integers(3, 5, len(WAVES))
            full = rng.choice(len(WAVES), size=2, replace=False)
            per_wave[full] = rng.integers(5, partner.headcount + 1, 2)
        else:
            rate = rng.uniform(0.72, 0.9, len(WAVES))
            per_wave = rng.binomial(partner.headcount, rate)
        counts[partner.name] = [int(n) for n in per_wave]
    return counts


def _survey_waves(seed: int, lookup: dict[tuple[str, int, str], float]) -> list[pd.DataFrame]:
    rng = _rng(seed, 1)
    item_factor = np.array([FACTORS.index(item.factor) for item in DEFAULT_INSTRUMENT])
    reverse = np.array([item.reverse_scored for item in DEFAULT_INSTRUMENT])
    item_bias = rng.normal(0, 0.15, len(DEFAULT_INSTRUMENT))
    counts = _respondent_counts(rng)
    span = SCALE_MAX - SCALE_MIN
    frames = []
    for t, wave in enumerate(WAVES):
        opens = wave_start(wave) + timedelta(days=30)  # the pulse runs three weeks mid-quarter
        organisations: list[str] = []
        dates: list[date] = []
        blocks: list[np.ndarray] = []
        for partner in PARTNERS:
            n = counts[partner.name][t]
            levels = np.array([lookup[(partner.name, t, f)] for f in FACTORS])
            person = rng.normal(0, 9, (n, 1))
            person_factor = rng.normal(0, 6, (n, len(FACTORS)))
            latent = np.clip(levels + person + person_factor, 0, 100)[:, item_factor]
            answer = SCALE_MIN + span * latent / 100 + item_bias + rng.normal(0, 0.6, latent.shape)
            answer = np.where(reverse, SCALE_MIN + SCALE_MAX - answer, answer)
            answer = np.clip(np.rint(answer), SCALE_MIN, SCALE_MAX)
            answer[rng.random(answer.shape) < MISSING_SHARE] = np.nan
            blocks.append(answer)
            organisations += [partner.name] * n
            dates += [opens + timedelta(days=int(d)) for d in rng.integers(0, 21, n)]
        answers = np.vstack(blocks)
        order = np.lexsort((rng.random(len(dates)), np.array([d.toordinal() for d in dates])))
        tag = wave.replace("-", "")
        frame = pd.DataFrame({
            "Respondent ID": [f"R-{tag}-{i + 1:04d}" for i in range(len(order))],
            "Organisation": [organisations[i] for i in order],
            "Response date": [dates[i].isoformat() for i in order],
        })
        for j, item in enumerate(DEFAULT_INSTRUMENT):
            frame[item.item_id] = pd.array(answers[order, j], dtype="Float64").astype("Int64")
        frames.append(frame[list(SURVEY_HEADER)])
    return frames


# ----------------------------------------------------------------------------- milestones

def _weighted_others(rng: np.random.Generator, exclude: str, k: int) -> list[str]:
    others = [p for p in PARTNERS if p.name != exclude]
    weights = np.array([p.headcount for p in others], dtype=float)
    picks = rng.choice(len(others), size=k, replace=False, p=weights / weights.sum())
    return [others[i].name for i in picks]


def _milestones(seed: int, lookup: dict[tuple[str, int, str], float]) -> pd.DataFrame:
    rng = _rng(seed, 2)
    first, last = date(2024, 10, 7), date(2027, 3, 31)
    span = (last - first).days
    rows = []
    for partner in PARTNERS:
        n_lead = int(rng.integers(8, 13) if partner.arc == "noisy" else rng.integers(15, 26))
        for _ in range(n_lead):
            baseline = first + timedelta(days=int(rng.integers(0, span + 1)))
            owners = [partner.name]
            if rng.random() < 0.2:
                owners += _weighted_others(rng, partner.name, int(rng.integers(1, 3)))
            t = _wave_index(baseline)
            accountability = float(np.mean([lookup[(o, t, "mutual_accountability")]
                                            for o in owners]))
            on_time = rng.random() < 1 / (1 + np.exp(-(accountability - 52) / 9))
            if on_time:
                finish = baseline - timedelta(days=int(rng.integers(0, 8)))
            else:
                mean_slip = 12 + (100 - accountability) * 0.7
                if rng.random() < 0.5 * (1 - accountability / 100):
                    mean_slip *= 5  # a long overrun: the milestone is re-planned, not recovered
                finish = baseline + timedelta(days=_gamma_days(rng, mean_slip))
            phases = _MILESTONE_PHASES["joint" if len(owners) > 1 else partner.domain]
            title = (f"{phases[int(rng.integers(len(phases)))]}: "
                     f"{_LOCATIONS[int(rng.integers(len(_LOCATIONS)))]}")
            if finish <= DEMO_AS_OF:
                actual, forecast, status = finish, finish, "Complete"
            else:
                # A schedule forecasts the baseline date until a slip is known.
                actual, forecast = None, max(finish, baseline)
                started = baseline <= DEMO_AS_OF + timedelta(days=60)
                status = "In progress" if started else "Not started"
            rows.append((baseline, title, "; ".join(owners), forecast, actual, status))
    rows.sort(key=lambda row: (row[0], row[1], row[2]))
    return pd.DataFrame([
        (f"MS-{i + 1:03d}", title, owners, _iso(baseline), _iso(forecast), _iso(actual), status)
        for i, (baseline, title, owners, forecast, actual, status) in enumerate(rows)
    ], columns=list(MILESTONE_HEADER))


# --------------------------------------------------------------------------------- issues

def _issues(seed: int, lookup: dict[tuple[str, int, str], float]) -> pd.DataFrame:
    rng = _rng(seed, 3)
    domains = {partner.name: partner.domain for partner in PARTNERS}
    periods = list(WAVES)
    if wave_of(DEMO_AS_OF) > WAVES[-1]:
        periods.append(wave_of(DEMO_AS_OF))  # the quarter in progress
    rows = []
    for partner in PARTNERS:
        for period in periods:
            start, end = wave_start(period), min(wave_end(period), DEMO_AS_OF)
            t = _wave_index(start)
            openness = lookup[(partner.name, t, "open_communication")]
            days_in_period = (end - start).days + 1
            rate = partner.headcount * 0.16 * (0.6 + 0.8 * openness / 100) * days_in_period / 91
            for _ in range(int(rng.poisson(rate))):
                problem = start + timedelta(days=int(rng.integers(0, days_in_period)))
                lag = float(rng.gamma(2.0, (4 + (100 - openness) * 0.5) / 2))
                raised = problem + timedelta(days=int(round(lag)))
                own = rng.random() < float(np.clip(openness / 100 - 0.1, 0.1, 0.85))
                owner = partner.name if own else _weighted_others(rng, partner.name, 1)[0]
                accountability = lookup[(owner, _wave_index(raised), "mutual_accountability")]
                u = rng.random()
                if u < 0.05 + 0.5 * openness / 100:
                    kind = "Risk"
                elif u > 1 - (0.04 + 0.12 * (1 - accountability / 100)) and not own:
                    kind = "Dispute"
                else:
                    kind = "Issue"
                score = lag / 25 + rng.normal(0, 0.6) + (0.4 if kind == "Dispute" else 0.0)
                severity = int(np.searchsorted([0.6, 1.4, 2.2], score))
                p_escalate = (0.02 + 0.9 * (1 - accountability / 100) ** 2
                              + (0.0, 0.02, 0.1, 0.25)[severity]
                              + (0.2 if kind == "Dispute" else 0.0))
                escalated = rng.random() < min(p_escalate, 0.95)
                mean_days = ((5 + (100 - accountability) * 1.2)
                             * (0.6, 1.0, 1.4, 1.8)[severity] * (1.3 if escalated else 1.0))
                if rng.random() < 0.15 * (1 - accountability / 100):
                    mean_days *= 8  # stuck: nobody drives it to a close
                resolved = raised + timedelta(days=_gamma_days(rng, mean_days))
                domain = domains[owner]
                if kind == "Risk":
                    subjects = _RISK_SUBJECTS[domain]
                    title = f"{_RISK_PREFIX} {subjects[int(rng.integers(len(subjects)))]}"
                elif kind == "Dispute":
                    title = _DISPUTE_SUBJECTS[int(rng.integers(len(_DISPUTE_SUBJECTS)))]
                else:
                    subjects = _ISSUE_SUBJECTS[domain]
                    title = subjects[int(rng.integers(len(subjects)))]
                title += f" at {_LOCATIONS[int(rng.integers(len(_LOCATIONS)))]}"
                if raised > DEMO_AS_OF:
                    continue  # not raised yet on the demo's 'today'
                is_open = resolved > DEMO_AS_OF
                rows.append((raised, title, kind, partner.name, owner,
                             None if is_open else resolved, SEVERITIES[severity],
                             "Open" if is_open else "Resolved", "Yes" if escalated else "No"))
    rows.sort(key=lambda row: (row[0], row[3], row[1]))
    return pd.DataFrame([
        (f"NRA-{101 + i}", title, kind, raised_by, owned_by, _iso(raised), _iso(resolved),
         severity, status, escalated)
        for i, (raised, title, kind, raised_by, owned_by, resolved, severity, status, escalated)
        in enumerate(rows)
    ], columns=list(ISSUE_HEADER))


# ------------------------------------------------------- beside the scores (issue 25)
# How one partner's people see another: the rated partner's openness and accountability, the raters'
# own safety and governance, and a few relationships the story gives a slant (the two views differ).
_RATING_SLANT: dict[tuple[str, str], float] = {
    ("Corvell Signalling", "Northline Infrastructure"): -18.0,  # left out of the client's decisions ...
    ("Northline Infrastructure", "Corvell Signalling"): 6.0,  # ... which the client does not see
    ("Harbour Civils", "Kestrel Design"): 8.0, ("Kestrel Design", "Harbour Civils"): 8.0,
    ("Kestrel Design", "Brackwater Systems"): -10.0,  # integration late into the design
}
RATING_SKIPPED = 0.05
# Headcount changes: the list is sent once and updated when a partner's team changes.
HEADCOUNT_CHANGES: dict[tuple[str, str], int] = {
    ("Harbour Civils", "2025-Q3"): 44,
    ("Brackwater Systems", "2026-Q1"): 32,  # recovery staff invited; few of them answer
}
COMMENT_SHARE = 0.18
_COMMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # factor -> (when low, when high)
    "shared_goals": (("Each partner is still chasing its own targets.", "We never agreed what success looks like."),
                     ("The shared goals are on every agenda now.", "We set this year's targets together.")),
    "joint_governance": (("Decisions are taken before we get to the room.", "The change board does not hear us."),
                         ("Every partner has a real say at the board.", "Joint decisions are quicker than before.")),
    "psychological_safety": (("People are careful what they admit in front of the client.",
                              "Raising a mistake still feels risky."),
                             ("We can own up to mistakes without blame.", "Challenging the plan is welcome.")),
    "open_communication": (("We hear about changes late, usually by email.", "Reports say green until it is red."),
                           ("Problems come up early in the weekly look-ahead.", "Honest conversations, even hard ones.")),
    "mutual_accountability": (("When something slips it is always someone else's fault.",
                               "Nobody owns the interfaces."),
                              ("We fix problems together before asking whose they are.",
                               "Shared targets, shared consequences.")),
}
_CONTACT = (" Happy to talk: 07700 900123.", " Contact me on j.doe@northline.example if useful.")


def _ratings_and_comments(seed: int, frames: list[pd.DataFrame],
                          lookup: dict[tuple[str, int, str], float]) -> list[pd.DataFrame]:
    """The survey frames with a grid rating every other partner (Google Forms' ``Question [Partner]``)
    and a free-text question, drawn from their own streams so the answers above do not change."""
    ratings, writes = _rng(seed, 4), _rng(seed, 5)
    names = demo_partner_names()
    span = SCALE_MAX - SCALE_MIN
    out = []
    for t, frame in enumerate(frames):
        frame = frame.copy()
        person = ratings.normal(0, 8, len(frame))
        for target in names:
            seen = np.array([0.6 * (lookup[(target, t, "open_communication")]
                                    + lookup[(target, t, "mutual_accountability")]) / 2
                             + 0.4 * (lookup[(rater, t, "psychological_safety")]
                                      + lookup[(rater, t, "joint_governance")]) / 2
                             + _RATING_SLANT.get((rater, target), 0.0) for rater in frame["Organisation"]])
            answer = SCALE_MIN + span * np.clip(seen + person, 0, 100) / 100 + ratings.normal(0, 0.6, len(frame))
            answer = np.clip(np.rint(answer), SCALE_MIN, SCALE_MAX)
            answer[(frame["Organisation"] == target).to_numpy() | (ratings.random(len(frame)) < RATING_SKIPPED)] = np.nan
            frame[f"{RATING_QUESTION} [{target}]"] = pd.array(answer, dtype="Float64").astype("Int64")
        texts = []
        for organisation in frame["Organisation"]:
            if writes.random() >= COMMENT_SHARE:
                texts.append("")
                continue
            factor = FACTORS[int(writes.integers(len(FACTORS)))]
            low, high = _COMMENTS[factor]
            bank = low if lookup[(organisation, t, factor)] < 55 else high
            text = bank[int(writes.integers(len(bank)))]
            if writes.random() < 0.08:
                text += _CONTACT[int(writes.integers(len(_CONTACT)))]
            texts.append(text)
        frame[COMMENT_HEADER] = texts
        out.append(frame)
    return out


def headcount_csv() -> bytes:
    """Staff invited to the pulse: each partner's list at the first wave, then the changes."""
    rows = [(partner.name, WAVES[0], partner.headcount) for partner in PARTNERS]
    rows += [(name, wave, invited) for (name, wave), invited in HEADCOUNT_CHANGES.items()]
    return _csv(pd.DataFrame(rows, columns=list(HEADCOUNT_HEADER)))


@dataclass(frozen=True)
class DemoAction:
    partner: str
    factor: str
    title: str
    owner: str
    due: date
    created: date
    closed: date | None = None


DEMO_ACTIONS: tuple[DemoAction, ...] = (
    DemoAction("Kestrel Design", "psychological_safety", "No-blame design reviews with Harbour Civils",
               "Kestrel design manager", date(2025, 9, 30), date(2025, 5, 12), date(2025, 9, 10)),
    DemoAction("Corvell Signalling", "joint_governance", "A seat for Corvell on the change board",
               "Alliance director", date(2025, 12, 15), date(2025, 8, 20), date(2025, 11, 28)),
    DemoAction("Northline Infrastructure", "psychological_safety",
               "Leaders share one lesson from a mistake at each steering meeting", "Programme director",
               date(2026, 3, 31), date(2025, 12, 1), date(2026, 3, 20)),
    DemoAction("Brackwater Systems", "mutual_accountability", "Joint recovery plan for systems integration",
               "Brackwater delivery lead", date(2026, 6, 30), date(2026, 4, 14)),
    DemoAction("Harbour Civils", "open_communication", "Weekly joint look-ahead with the designer",
               "Harbour site manager", date(2027, 1, 31), date(2026, 10, 2)),
)


# ---------------------------------------------------------------------------------- files

def demo_files(seed: int = DEMO_SEED) -> list[DemoFile]:
    """The demo programme's files in load order: partners, one survey file per wave,
    milestones, issues, headcount. The survey items are those of ``instrument.DEFAULT_INSTRUMENT``."""
    lookup = _level_lookup(demo_levels(seed))
    files = [DemoFile("partners", "northline-partners.csv", partners_csv())]
    surveys = _ratings_and_comments(seed, _survey_waves(seed, lookup), lookup)
    for wave, frame in zip(WAVES, surveys):
        files.append(DemoFile("survey", f"northline-pulse-{wave}.csv", _csv(frame), wave))
    files.append(DemoFile("milestones", "northline-milestones.csv",
                          _csv(_milestones(seed, lookup))))
    files.append(DemoFile("issues", "northline-raid-log.csv", _csv(_issues(seed, lookup))))
    files.append(DemoFile("headcount", "northline-headcount.csv", headcount_csv()))
    return files
