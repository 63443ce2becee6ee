"""Small in-memory guides for validator tests, with the attributes CONTRACTS.md names.

The validator reads guides only through those attributes, so these stand-ins let the tests
pin down the walker's behaviour independently of the shipped guide data.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, eq=False)
class E:
    """ElementSpec stand-in: ``E(2, 'DTM02', 'Date', 'M', 'DT', 8, 8)``."""

    pos: int
    ref: str
    name: str
    usage: str = "O"
    type: str = "AN"
    min_len: int = 1
    max_len: int = 80
    codes: frozenset[str] | None = None
    code_names: dict[str, str] = field(default_factory=dict)
    confirmed: bool = True


@dataclass(frozen=True, eq=False)
class Cond:
    kind: str
    positions: tuple[int, ...]
    confirmed: bool = True


@dataclass(frozen=True, eq=False)
class S:
    """SegmentSpec stand-in."""

    id: str
    qualifier: str | None
    name: str
    usage: str = "O"
    max_use: int = 1
    elements: tuple[E, ...] = ()
    conditions: tuple[Cond, ...] = ()
    confirmed: bool = True
    note: str = ""


@dataclass(frozen=True, eq=False)
class L:
    """LoopSpec stand-in; the first child is the trigger."""

    id: str
    name: str
    usage: str
    max_repeat: int
    children: tuple
    confirmed: bool = True


@dataclass(frozen=True, eq=False)
class G:
    """Guide stand-in."""

    code: str
    body: tuple
    st01: str = "814"
    functional_id: str = "GE"
    name: str = ""
    confirmed: bool = True


def codes(*values: str) -> frozenset[str]:
    return frozenset(values)


def ref(code: str, q: str, name: str, usage: str = "O", max_use: int = 1, **kw) -> S:
    return S("REF", q, name, usage, max_use, (
        E(1, "REF01", "Qualifier", "M", "ID", 2, 3, codes(q)),
        E(2, "REF02", "Reference", "M", "AN", 1, 30),
    ), **kw)


def dtm(q: str, name: str, usage: str = "O", **kw) -> S:
    return S("DTM", q, name, usage, 1, (
        E(1, "DTM01", "Qualifier", "M", "ID", 3, 3, codes(q)),
        E(2, "DTM02", "Date", "M", "DT", 8, 8),
    ), **kw)


def n1(q: str, name: str, usage: str = "M") -> S:
    return S("N1", q, name, usage, 1, (
        E(1, "N101", "Entity", "M", "ID", 2, 3, codes(q)),
        E(2, "N102", "Name", "M", "AN", 1, 60),
        E(3, "N103", "ID qualifier", "X", "ID", 1, 2, codes("1", "9")),
        E(4, "N104", "ID", "X", "AN", 2, 80),
    ), (Cond("P", (3, 4)),))


def guide_814() -> G:
    """A small 814_01-like guide: BGN, N1 loops, LIN loop with ASI, REF*Q5, REF*11, DTM*150."""
    bgn = S("BGN", None, "Beginning segment", "M", 1, (
        E(1, "BGN01", "Purpose", "M", "ID", 2, 2, codes("13", "11"), {"13": "Request", "11": "Response"}),
        E(2, "BGN02", "Reference", "M", "AN", 1, 30),
        E(3, "BGN03", "Date", "M", "DT", 8, 8),
        E(4, "BGN04", "Time", "O", "TM", 4, 8),
        E(5, "BGN05", "Time code", "N", "ID", 2, 2),
    ))
    lin = S("LIN", None, "Item", "M", 1, (
        E(1, "LIN01", "Assigned ID", "M", "AN", 1, 20),
        E(2, "LIN02", "Qualifier", "M", "ID", 2, 2, codes("SH")),
        E(3, "LIN03", "Product", "M", "ID", 2, 2, codes("EL")),
    ))
    asi = S("ASI", None, "Action", "M", 1, (
        E(1, "ASI01", "Action", "M", "ID", 1, 2, codes("7", "WQ", "U")),
        E(2, "ASI02", "Maintenance type", "M", "ID", 3, 3, codes("021", "001", "024")),
    ))
    return G("814_01", (
        bgn,
        L("N1_TDSP", "TDSP name", "M", 1, (n1("8S", "TDSP"),)),
        L("N1_CR", "CR name", "M", 1, (n1("SJ", "CR"),)),
        L("N1_CUST", "Customer", "O", 1, (
            n1("8R", "Customer", "M"),
            S("N3", None, "Address", "O", 2, (E(1, "N301", "Address", "M", "AN", 1, 55),)),
            S("N4", None, "City", "O", 1, (
                E(1, "N401", "City", "M", "AN", 2, 30),
                E(2, "N402", "State", "O", "ID", 2, 2),
                E(3, "N403", "ZIP", "O", "ID", 3, 15),
            )),
        )),
        S("PER", None, "Contact", "O", 1, (
            E(1, "PER01", "Function", "M", "ID", 2, 2, codes("IC")),
            E(2, "PER02", "Name", "O", "AN", 1, 60),
            E(3, "PER03", "Qualifier", "X", "ID", 2, 2, codes("TE")),
            E(4, "PER04", "Number", "X", "AN", 1, 80),
        ), (Cond("P", (3, 4)),)),
        L("LIN", "Line item", "M", 1, (lin, asi, ref("", "Q5", "ESI ID", "M"), ref("", "11", "CR account"),
                                       dtm("150", "Requested start"))),
    ))


def guide_867() -> G:
    """A small 867_03-like guide with a repeating PTD loop."""
    qty = S("QTY", None, "Quantity", "O", 1, (
        E(1, "QTY01", "Qualifier", "M", "ID", 2, 2, codes("QD", "KA")),
        E(2, "QTY02", "Quantity", "X", "R", 1, 15),
        E(3, "QTY03", "Unit", "X", "ID", 2, 2, codes("KH")),
    ))
    mea = S("MEA", None, "Measurement", "O", 10, tuple(
        [E(1, "MEA01", "Reference", "O", "ID", 2, 2, codes("AA")),
         E(2, "MEA02", "Qualifier", "O", "ID", 1, 3, codes("PRQ")),
         E(3, "MEA03", "Value", "X", "R", 1, 20), E(4, "MEA04", "Unit", "X", "ID", 2, 2, codes("KH")),
         E(5, "MEA05", "Begin read", "O", "R", 1, 20), E(6, "MEA06", "End read", "O", "R", 1, 20),
         E(7, "MEA07", "Significance", "O", "ID", 2, 2, codes("51"))]))
    return G("867_03", (
        S("BPT", None, "Beginning", "M", 1, (
            E(1, "BPT01", "Purpose", "M", "ID", 2, 2, codes("00", "01")),
            E(2, "BPT02", "Reference", "M", "AN", 1, 30),
            E(3, "BPT03", "Date", "M", "DT", 8, 8),
            E(4, "BPT04", "Report type", "M", "ID", 2, 2, codes("DD")),
        )),
        ref("", "Q5", "ESI ID", "M"),
        L("N1", "Party", "M", 3, (S("N1", None, "Party", "M", 1, (
            E(1, "N101", "Entity", "M", "ID", 2, 3, codes("8S", "SJ", "AY")),
            E(2, "N102", "Name", "M", "AN", 1, 60),
            E(3, "N103", "Q", "X", "ID", 1, 2, codes("1", "9")),
            E(4, "N104", "ID", "X", "AN", 2, 80),
            E(5, "N105", "Rel", "N", "ID", 2, 2),
            E(6, "N106", "Role", "O", "ID", 2, 2, codes("40", "41")),
        )),)),
        L("PTD", "Usage", "M", 99, (
            S("PTD", None, "Usage type", "M", 1, (
                E(1, "PTD01", "Type", "M", "ID", 2, 2, codes("SU", "PL")),
                E(4, "PTD04", "Ref qualifier", "X", "ID", 2, 3, codes("MG")),
                E(5, "PTD05", "Meter", "X", "AN", 1, 30),
            ), (Cond("P", (4, 5)),)),
            dtm("150", "Period start", "M"), dtm("151", "Period end", "M"), mea, ref("", "MT", "Meter type"), qty)),
    ), st01="867", functional_id="PT")
