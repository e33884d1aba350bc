#!/usr/bin/env python3
"""Generate a synthetic book of workers' compensation claims (the standard MMI case model).

usage: gen_book.py N [--seed S] [--as-of DATE] [--model v1|v2] [--yaml] [--bad-rate R] [-o FILE]

Writes N cases as JSON Lines (or, with --yaml, a YAML stream of block documents), about
1 KB a case, deterministic for a given N, seed and options (stdlib `random` only). The book
looks like an insurer's open and recently closed claims on one valuation date:

  injuries      spread over the 5 years before --as-of, weighted towards recent ones
  benefits      lost time starts 0-3 days after the injury, income benefits after a 7-day
                waiting period; a share of claims never had lost time
  recovery      each claimant follows a rising curve towards a plateau (start, plateau, pace
                drawn per claim) with measurement noise; 0-24 assessments, 15% listed out of
                date order (the engine sorts them)
  treatments    0-6, surgery likelier for spine and knee injuries
  opinions      0-4 physicians' findings with distinct dates; MMI findings get likelier once the
                recovery curve has flattened; designated doctors mostly after 6 months
  spinal        spine injuries get spinal surgery in a quarter of cases, some of them in the
                12 weeks before the 104-week statutory date, half of those with an extension
  missing       every optional field is absent at a realistic rate (see MISSING below)

--model v2 (the default) adds the case model v2 fields on top of the v1 ones, drawn from a
separate random stream so that the v1 fields of every case are the same bytes as with
--model v1 (which writes v1 cases only, as before):

  periods       in 75% of lost-time claims: ttd and tpd periods from the first day of lost time,
                with gaps (back at work for a while) and, in 5% of the joins, an overlap of 1-7
                days (a day paid twice); the last one open (no `to`) while still off work; an
                iib period after an MMI certification now and then; the rest keep the v1 facts
  first_td_payment  7-21 days after lost time begins (absent at the usual rate)
  disputed      12% of served MMI opinions, 1-150 days after service (both sides of day 90)
  member, ire   a rated body member on a fifth of rated opinions; `ire` on a third of rated IMEs
  presumptive_cancer  true on 1% of claims, false on 2%, absent otherwise

--bad-rate R replaces a fraction R of the lines by bad input (truncated JSON, invalid UTF-8,
an impossible date, a list instead of a case) to exercise error handling; bad lines are
reported on stderr by line number.
"""
import argparse
import json
import math
import random
import sys
from datetime import date, timedelta

# Diagnosis (ICD-10), body part, guideline recovery days, is a spine injury.
DIAGNOSES = [
    ("S83.511A", "knee", 120, False, 14),
    ("S83.241A", "knee", 90, False, 8),
    ("M54.50", "low back", 90, True, 16),
    ("S33.5XXA", "low back", 60, True, 8),
    ("S13.4XXA", "neck", 60, True, 7),
    ("M50.20", "neck", 180, True, 3),
    ("S43.401A", "shoulder", 150, False, 9),
    ("M75.101", "shoulder", 120, False, 7),
    ("S62.101A", "wrist", 100, False, 6),
    ("G56.01", "wrist", 90, False, 6),
    ("S93.401A", "ankle", 70, False, 7),
    ("S32.009A", "lumbar spine", 180, True, 3),
    ("S06.0X0A", "head", 90, False, 3),
    ("F43.10", "psyche", 365, False, 3),
]
DIAG_WEIGHTS = [d[4] for d in DIAGNOSES]
OCCUPATIONS = ["warehouse associate", "registered nurse", "truck driver", "carpenter",
               "electrician", "retail clerk", "machine operator", "home health aide",
               "police officer", "roofer", "cook", "janitor", "office clerk", "welder"]
SPECIALTIES = {"knee": "orthopedics", "shoulder": "orthopedics", "wrist": "hand surgery",
               "ankle": "orthopedics", "low back": "orthopedics", "lumbar spine": "neurosurgery",
               "neck": "neurosurgery", "head": "neurology", "psyche": "psychiatry"}
OTHER_SPECIALTIES = ["physical medicine", "occupational medicine", "pain management"]
KINDS = ["surgery", "therapy", "injection", "medication", "other"]
KIND_WEIGHTS = [8, 45, 12, 28, 7]
TREATMENT_STATUS = ["completed", "scheduled", "recommended", "denied"]
TREATMENT_STATUS_WEIGHTS = [70, 10, 12, 8]
SOURCES = ["treating", "ime", "designated", "other"]
SOURCE_WEIGHTS = [50, 15, 25, 10]

# Probability that an optional field is absent.
MISSING = {
    "claimant.birth_date": 0.03, "claimant.occupation": 0.08, "injury.diagnosis": 0.04,
    "injury.body_part": 0.02, "benefits.disability_start": 0.02,
    "benefits.income_start": 0.04, "benefits.temporary_days_paid": 0.06,
    "benefits.weekly_rate": 0.05, "prognosis": 0.12, "prognosis.guideline_days": 0.10,
    "assessment.pain": 0.05, "treatment.intent": 0.20, "opinion.specialty": 0.06,
    "opinion.served": 0.15, "opinion.mmi_date": 0.35, "opinion.impairment": 0.10,
    "benefits.first_td_payment": 0.10,
}
# v2: the body member a rating is of, by body part (rated opinions on other parts: the body).
MEMBERS = {"knee": "leg", "ankle": "foot", "wrist": "hand", "shoulder": "arm"}


def iso(d):
    return d.isoformat()


class Book:
    def __init__(self, seed, as_of, model="v2"):
        self.rng = random.Random(seed)
        # v2 fields come from their own stream: the v1 fields stay byte-identical to --model v1.
        self.rng2 = random.Random(seed * 1_000_003 + 2)
        self.as_of = as_of
        self.model = model

    def present(self, field):
        return self.rng.random() >= MISSING[field]

    def days(self, lo, hi):
        return self.rng.randint(lo, max(lo, hi))

    def case(self, n):
        rng, as_of = self.rng, self.as_of
        diag, part, guideline, spine, _ = rng.choices(DIAGNOSES, DIAG_WEIGHTS)[0]
        # Open books hold more recent injuries: age of the claim is skewed towards zero.
        age_days = 14 + int((5 * 365 - 14) * rng.random() ** 1.6)
        injury = as_of - timedelta(days=age_days)
        c = {"id": f"WC-{n:07d}", "as_of": iso(as_of)}

        claimant = {}
        if self.present("claimant.birth_date"):
            claimant["birth_date"] = iso(injury - timedelta(days=self.days(18 * 365, 67 * 365)))
        if self.present("claimant.occupation"):
            claimant["occupation"] = rng.choice(OCCUPATIONS)
        if claimant:
            c["claimant"] = claimant

        inj = {"date": iso(injury)}
        if self.present("injury.diagnosis"):
            inj["diagnosis"] = diag
        if self.present("injury.body_part"):
            inj["body_part"] = part
        catastrophic = rng.random() < 0.02
        inj["catastrophic"] = catastrophic
        if rng.random() < 0.03:
            inj["extended_td_condition"] = True
        c["injury"] = inj

        # Recovery curve: function(t) = start + (plateau - start) * (1 - exp(-t / pace)).
        start = rng.randint(10, 50)
        plateau = rng.randint(55, 98) if not catastrophic else rng.randint(20, 60)
        pace = rng.uniform(0.25, 1.6) * guideline
        flat_after = int(pace * 3)  # ~95% of the way to the plateau

        benefits = {}
        lost_time = rng.random() < 0.93
        statutory = None
        if lost_time:
            disability = injury + timedelta(days=rng.choice([0, 1, 1, 1, 2, 3]))
            if self.present("benefits.disability_start"):
                benefits["disability_start"] = iso(disability)
            income = disability + timedelta(days=7)
            if income <= as_of and self.present("benefits.income_start"):
                benefits["income_start"] = iso(income)
                statutory = income + timedelta(days=728)
            if self.present("benefits.temporary_days_paid"):
                benefits["temporary_days_paid"] = max(0, min((as_of - income).days, 728,
                                                             int(flat_after * rng.uniform(0.6, 1.3))))
            if self.present("benefits.weekly_rate"):
                benefits["weekly_rate"] = round(rng.uniform(280, 1150), 2)
        spinal = None
        if spine and rng.random() < 0.25:
            if statutory and rng.random() < 0.4:
                spinal = statutory - timedelta(days=rng.randint(0, 90))  # near the window
            else:
                spinal = injury + timedelta(days=rng.randint(45, 600))
            if spinal <= as_of + timedelta(days=60):
                inj["spinal_surgery_date"] = iso(spinal)
                if statutory and rng.random() < 0.5:
                    benefits["mmi_extension_date"] = iso(statutory + timedelta(days=rng.randint(30, 180)))
            else:
                spinal = None
        if benefits:
            c["benefits"] = benefits

        returned = lost_time and rng.random() < min(0.85, age_days / (flat_after + 30))
        work = {"returned": bool(returned) or not lost_time}
        if returned:
            work["return_date"] = iso(min(as_of, injury + timedelta(days=self.days(14, flat_after + 30))))
        if rng.random() < 0.9:
            c["work"] = work

        if self.present("prognosis"):
            prognosis = {"expected_function": max(plateau - rng.randint(-5, 10), 20)}
            if self.present("prognosis.guideline_days"):
                prognosis["guideline_days"] = guideline
            c["prognosis"] = prognosis

        def function_at(t):
            f = start + (plateau - start) * (1 - math.exp(-t / pace)) + rng.gauss(0, 3)
            return max(0, min(100, round(f)))

        horizon = age_days  # nothing is dated after as_of (except scheduled treatments)
        # Fewer visits on young claims; a long tail of heavily documented ones.
        count = min(24, int(rng.expovariate(1 / 5.5) * min(1.0, horizon / 180 + 0.3)))
        offsets = sorted(rng.sample(range(1, horizon + 1), min(count, horizon)))
        assessments = []
        for t in offsets:
            f = function_at(t)
            a = {"date": iso(injury + timedelta(days=t)), "function": f}
            if self.present("assessment.pain"):
                a["pain"] = max(0, min(10, round(9.5 - f / 11 + rng.gauss(0, 0.8))))
            assessments.append(a)
        if len(assessments) > 1 and rng.random() < 0.15:
            rng.shuffle(assessments)
        if assessments or rng.random() < 0.5:
            c["assessments"] = assessments

        treatments = []
        for _ in range(min(6, int(rng.expovariate(1 / 1.6)))):
            kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
            if kind == "surgery" and not (spine or part == "knee") and rng.random() < 0.6:
                kind = "therapy"
            status = rng.choices(TREATMENT_STATUS, TREATMENT_STATUS_WEIGHTS)[0]
            ahead = 90 if status in ("scheduled", "recommended") else 0
            t = {"date": iso(injury + timedelta(days=self.days(1, horizon + ahead))), "kind": kind,
                 "status": status}
            if self.present("treatment.intent"):
                t["intent"] = "palliative" if kind == "medication" and rng.random() < 0.5 else "curative"
            treatments.append(t)
        if spinal:
            treatments.append({"date": iso(spinal), "kind": "surgery", "status": "completed",
                               "intent": "curative"})
        if treatments:
            c["treatments"] = treatments

        opinions = []
        n_opinions = rng.choices([0, 1, 2, 3, 4], [22, 33, 25, 13, 7])[0]
        days_seen = set()
        for _ in range(n_opinions if horizon >= 21 else 0):
            t = self.days(21, horizon)
            if t in days_seen:
                continue
            days_seen.add(t)
            source = rng.choices(SOURCES, SOURCE_WEIGHTS)[0]
            if source == "designated" and t < 180 and rng.random() < 0.7:
                source = "treating"
            when = injury + timedelta(days=t)
            # Physicians find MMI once the curve has flattened, with disagreement.
            p_mmi = 0.8 if t >= flat_after else 0.15 + 0.5 * t / max(flat_after, 1)
            mmi = rng.random() < p_mmi
            o = {"date": iso(when), "source": source}
            if self.present("opinion.specialty"):
                o["specialty"] = SPECIALTIES[part] if rng.random() < 0.75 else rng.choice(OTHER_SPECIALTIES)
            if self.present("opinion.served"):
                o["served"] = iso(min(as_of, when + timedelta(days=rng.randint(1, 12))))
            o["mmi"] = mmi
            if mmi:
                if self.present("opinion.mmi_date"):
                    o["mmi_date"] = iso(when - timedelta(days=rng.choice([0, 0, 0, 7, 14, 30, 60])))
                if self.present("opinion.impairment"):
                    o["impairment"] = max(0, min(60, int(rng.gauss(100 - plateau, 6) / 3)))
                o["further_improvement_expected"] = False
            else:
                o["further_improvement_expected"] = rng.random() < 0.85
            opinions.append(o)
        rng.shuffle(opinions)  # physicians' reports arrive in any order
        if opinions or rng.random() < 0.3:
            c["opinions"] = opinions
        if self.model == "v2":
            lost_from = injury + timedelta(days=1) if lost_time else None
            if lost_time and "disability_start" in benefits:
                lost_from = date.fromisoformat(benefits["disability_start"])
            self.add_v2(c, lost_from, work.get("return_date"), opinions)
        return c

    def add_v2(self, c, lost_from, return_date, opinions):
        """The case model v2 fields, drawn from the second random stream."""
        r, as_of = self.rng2, self.as_of
        inj = c["injury"]
        u = r.random()
        if u < 0.01:
            inj["presumptive_cancer"] = True
        elif u < 0.03:
            inj["presumptive_cancer"] = False
        if lost_from is not None and lost_from <= as_of:
            benefits = c.setdefault("benefits", {})
            if r.random() >= MISSING["benefits.first_td_payment"]:
                benefits["first_td_payment"] = iso(min(as_of, lost_from + timedelta(days=r.randint(7, 21))))
            if r.random() < 0.75:
                periods = self.periods(lost_from, return_date, opinions)
                if periods:
                    r.shuffle(periods)  # listed in any order
                    c["periods"] = periods
        for o in opinions:
            if o.get("mmi") and "served" in o and r.random() < 0.12:
                disputed = date.fromisoformat(o["served"]) + timedelta(days=r.randint(1, 150))
                if disputed <= as_of:
                    o["disputed"] = iso(disputed)
            if "impairment" in o:
                if r.random() < 0.2:
                    o["member"] = MEMBERS.get(c["injury"].get("body_part"), "body")
                if o["source"] == "ime" and r.random() < 0.33:
                    o["ire"] = r.random() < 0.8

    def periods(self, start, return_date, opinions):
        """ttd/tpd periods from `start`: gaps, some overlaps, the last open while off work."""
        r, as_of = self.rng2, self.as_of
        end = min(as_of, date.fromisoformat(return_date)) if return_date else as_of
        out, day = [], start
        while day <= end:
            kind = "ttd" if not out or r.random() < 0.65 else "tpd"
            length = r.randint(14, 300)
            last = day + timedelta(days=length - 1)
            if last >= end:
                p = {"kind": kind, "from": iso(day)}
                if return_date or r.random() < 0.3:  # back at work (or paid through a known day)
                    p["to"] = iso(end)
                out.append(p)
                break
            out.append({"kind": kind, "from": iso(day), "to": iso(last)})
            if r.random() < 0.05:
                day = last - timedelta(days=r.randint(0, 6))  # overlap: 1-7 days paid twice
            elif r.random() < 0.35:
                day = last + timedelta(days=r.randint(2, 200))  # a gap: back at work for a while
            else:
                day = last + timedelta(days=1)
        mmi = [date.fromisoformat(o.get("mmi_date", o["date"])) for o in opinions
               if o.get("mmi") and "impairment" in o]
        if mmi and r.random() < 0.3:
            iib_from = min(mmi) + timedelta(days=1)
            if iib_from <= as_of:
                out.append({"kind": "iib", "from": iso(iib_from),
                            "to": iso(iib_from + timedelta(days=7 * 3 * r.randint(1, 20) - 1))})
        if r.random() < 0.02:
            out.append({"kind": "other", "from": iso(start), "to": iso(start + timedelta(days=6))})
        return out


def bad_line(rng, line):
    kind = rng.randrange(4)
    if kind == 0:
        return line[: rng.randint(1, max(1, len(line) - 2))], "truncated JSON"
    if kind == 1:
        cut = line.find(b"\"as_of\"")
        return line[:cut] + b"\"bad\xff\xfe\":1," + line[cut:], "invalid UTF-8"
    if kind == 2:
        at = line.find(b"\"as_of\":\"") + 9
        return line[:at] + b"2025-02-30" + line[at + 10:], "impossible date"
    return b"[" + line + b"]", "a list instead of a case"


def yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(v)  # a double-quoted YAML scalar


def yaml_lines(v, indent, out):
    pad = " " * indent
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                out.append(f"{pad}{k}:")
                yaml_lines(x, indent + 2, out)
            else:
                out.append(f"{pad}{k}: {yaml_scalar(x) if not isinstance(x, (dict, list)) else ('{}' if isinstance(x, dict) else '[]')}")
    else:
        for x in v:
            sub = []
            yaml_lines(x, indent + 2, sub) if isinstance(x, (dict, list)) else sub.append(pad + "  " + yaml_scalar(x))
            out.append(pad + "- " + sub[0].lstrip())
            out.extend(sub[1:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of cases")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--as-of", default="2025-06-01", help="valuation date of every case")
    ap.add_argument("--model", choices=["v1", "v2"], default="v2",
                    help="case model: v2 (default) adds periods, disputes, members, IREs")
    ap.add_argument("--yaml", action="store_true", help="a YAML stream instead of JSON Lines")
    ap.add_argument("--bad-rate", type=float, default=0.0, help="fraction of bad lines (JSON Lines)")
    ap.add_argument("-o", "--output", help="write here instead of stdout")
    args = ap.parse_args()
    book = Book(args.seed, date.fromisoformat(args.as_of), args.model)
    bad_rng = random.Random(args.seed * 7919 + 1)
    out = open(args.output, "wb") if args.output else sys.stdout.buffer
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    buf = []
    for n in range(1, args.n + 1):
        c = book.case(n)
        if args.yaml:
            lines = ["---"]
            yaml_lines(c, 0, lines)
            buf.append(("\n".join(lines) + "\n").encode())
        else:
            line = dumps(c).encode()
            if args.bad_rate and bad_rng.random() < args.bad_rate:
                line, why = bad_line(bad_rng, line)
                print(f"gen_book: line {n}: {why}", file=sys.stderr)
            buf.append(line + b"\n")
        if len(buf) >= 4096:
            out.write(b"".join(buf))
            buf.clear()
    out.write(b"".join(buf))
    out.flush()


if __name__ == "__main__":
    main()
