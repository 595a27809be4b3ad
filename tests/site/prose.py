"""Plausible British news prose from a seeded RNG, so pages read like a paper and stay reproducible."""

from __future__ import annotations

import random

FIRST_NAMES = (
    "Ben", "Sarah", "Mohammed", "Aisha", "Tom", "Niamh", "Daniel", "Priya", "Owen", "Chloé",
    "Rhys", "Fatima", "Liam", "Joanna", "Kwame", "Siobhán", "Peter", "Lucy", "Amir", "Helen",
    "Gareth", "Zoë", "Marcus", "Eilidh", "Raj", "Bethan", "José", "Hannah", "Callum", "Ines",
)
LAST_NAMES = (
    "Chacko", "Walker", "Okafor", "O’Neill", "Hughes", "MacDonald", "Patel", "Jenkins", "Müller",
    "Ahmed", "Doyle", "Evans", "Nowak", "Fraser", "Campbell", "Khan", "Morgan", "Reilly", "Sharma",
    "Thompson", "Lloyd", "Hassan", "Brennan", "Price", "Owusu", "Davies", "Kowalski", "Ramírez",
)
ROLES = (
    "general secretary of the union", "a local councillor", "the shadow minister", "a junior doctor",
    "a spokeswoman for the campaign", "the regional organiser", "a tenants’ union rep",
    "a retired miner", "the convenor at the plant", "a care worker", "an NHS nurse",
)
ORGS = (
    "Unite", "Unison", "the GMB", "the RMT", "the NEU", "the TUC", "the CWU", "the FBU",
    "Acorn", "the BMA", "the PCS union", "Equity", "the NUJ", "the Musicians’ Union",
)
PLACES = (
    "Glasgow", "Cardiff", "Liverpool", "Sheffield", "Belfast", "Newcastle", "Birmingham",
    "Leeds", "Swansea", "Dundee", "Hull", "Bristol", "Manchester", "Nottingham", "Derry",
)
COMPANIES = (
    "Amazon", "Marks & Spencer", "Royal Mail", "Thames Water", "Tesco", "BT", "Deliveroo",
    "Arriva", "Stagecoach", "Serco", "Capita", "Jaguar Land Rover", "British Gas", "Café Nero",
)
ISSUES = (
    "pay restoration", "fire and rehire", "the cost-of-living crisis", "privatisation",
    "zero-hours contracts", "rent controls", "the two-child benefit cap", "outsourcing",
    "the energy price cap", "NHS waiting lists", "school funding", "fuel poverty",
    "the housing emergency", "pension cuts", "bus deregulation", "the arms trade",
)
ACTORS = (
    "The government", "Ministers", "Campaigners", "Union leaders", "Labour backbenchers",
    "Opposition MPs", "Health chiefs", "Tenants", "Striking workers", "Residents",
    "Council bosses", "Peace activists", "Economists", "Teachers", "Rail workers",
)
VERBS = (
    "warned that", "insisted that", "argued that", "said that", "claimed that", "admitted that",
    "told the Morning Star that", "revealed that", "pointed out that", "stressed that",
)
CLAIMS = (
    "{issue} had pushed thousands of families in {place} to breaking point",
    "bosses at {company} had made £{money}m in profits while freezing wages",
    "{org} would ballot members for strike action before the end of {month}",
    "the plan would do nothing to tackle {issue}",
    "more than {count} jobs were at risk across {place}",
    "the Treasury had quietly shelved its review of {issue}",
    "a fresh inquiry into {issue} was long overdue",
    "workers at {company} had been offered a real-terms pay cut of {pct} per cent",
    "{issue} was the single biggest issue raised on the doorstep in {place}",
    "the council’s budget gap had grown to £{money}m",
    "ministers had failed to answer {count} letters about {issue}",
)
EVENTS = (
    "Hundreds of people marched through {place} on {weekday} to protest against {issue}.",
    "The dispute at {company} is now in its {ordinal} week.",
    "Figures published on {weekday} showed that {count} households in {place} were behind on rent.",
    "A rally outside the offices of {company} in {place} drew a crowd of about {count}.",
    "The motion was carried unanimously at {org}’s conference in {place}.",
    "It comes after {company} announced plans to close its {place} depot.",
    "Talks between {org} and management broke down late on {weekday} night.",
    "The report, seen by the Morning Star, runs to {pages} pages.",
    "Police said {count} people had attended the demonstration in {place}.",
)
QUOTES = (
    "“This is about whether working people can afford to live,” said {name}, {role}.",
    "{name}, {role}, said: “We will not stand by while {issue} destroys our communities.”",
    "“Nobody takes this decision lightly,” {name} told a meeting in {place}.",
    "“The money is there — it’s a question of political will,” said {name}.",
    "{name} said: “Our members have been patient, but patience has limits.”",
)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = ("second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
HEADLINE_SHAPES = (
    "{org} {act} over {issue} at {company}",
    "{place} {group} {act} as {issue} bites",
    "Thousands rally in {place} against {issue}",
    "{company} workers {act} in row over {issue}",
    "Ministers accused of ignoring {issue}",
    "{org} warns of fightback over {issue}",
    "Campaigners demand action on {issue} in {place}",
)
ACTS = ("vote to strike", "walk out", "step up action", "win pay deal", "launch ballot",
        "stage protest", "reject offer")
GROUPS = ("tenants", "nurses", "bus drivers", "teachers", "care workers", "dockers", "students")


class Prose:
    """Draws names, headlines, sentences and paragraphs from one `random.Random`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def _slots(self) -> dict[str, str]:
        r = self.rng
        return {
            "name": self.person(), "role": r.choice(ROLES), "org": r.choice(ORGS),
            "place": r.choice(PLACES), "company": r.choice(COMPANIES), "issue": r.choice(ISSUES),
            "money": str(r.randint(2, 950)), "count": f"{r.randint(2, 90) * 10:,}",
            "pct": str(r.randint(2, 12)), "month": r.choice(MONTHS), "weekday": r.choice(WEEKDAYS),
            "ordinal": r.choice(ORDINALS), "pages": str(r.randint(12, 240)),
            "act": r.choice(ACTS), "group": r.choice(GROUPS),
        }

    def headline(self) -> str:
        text = self.rng.choice(HEADLINE_SHAPES).format(**self._slots())
        return text[0].upper() + text[1:]

    def sentence(self) -> str:
        r = self.rng
        slots = self._slots()
        roll = r.random()
        if roll < 0.45:
            claim = r.choice(CLAIMS).format(**slots)
            return f"{r.choice(ACTORS)} {r.choice(VERBS)} {claim}."
        if roll < 0.75:
            return r.choice(EVENTS).format(**slots)
        return r.choice(QUOTES).format(**slots)

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(1, 3)))

    def standfirst(self) -> str:
        slots = self._slots()
        return f"{slots['org'][0].upper()}{slots['org'][1:]} says {slots['issue']} is hitting {slots['place']} hardest, as {slots['group']} prepare for a long fight"
