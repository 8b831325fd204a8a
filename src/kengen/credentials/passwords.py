"""Password mechanics: normalisation, strength (A8.6), generation, hashing.

- Every password is normalised to Unicode NFKC before it is checked, hashed or verified, so a
  password typed with full-width characters (ＡＢＣ１２３) on one terminal and half-width on
  another is the same password. Nothing is truncated: Argon2id takes the whole password, up to
  ``MAX_LENGTH`` characters (at least 64 are always accepted).
- Strength follows NIST SP 800-63B-4 §3.1.1.2 and OWASP ASVS 5.0 V6.2: a minimum length, a
  blocklist of common passwords (Django's 20,000 plus a Japanese list shipped here), words from
  the context (the user ID, the person's names in kanji, kana and romaji, the city, the system),
  repeated or sequential characters; composition rules only if a policy asks for them.
- Generated passwords come from the operating system's CSPRNG (``secrets``). A temporary password
  for a system user is kept, until its one-time reveal, only sealed under a key derived from the
  reveal link's token and a server key (see ``seal_temporary``).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.utils.translation import gettext as _

from kengen.core.exceptions import RuleViolation

MAX_LENGTH = 1024
GENERATED_LENGTH = 16  # random characters (+ hyphens): 16 × log2(56) ≈ 93 bits
#: No look-alikes (I/l/1, O/o/0) so a password read off a screen is typed right the first time.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
JA_LIST = Path(__file__).parent / "data" / "common-passwords-ja.txt"
LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789012345678901234567890",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん",
)


def normalize(password: str) -> str:
    """NFKC, the form every password is checked, hashed and verified in (NIST SP 800-63B-4)."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    """The Argon2id verifier (``settings.PASSWORD_HASHERS``, parameters pinned in settings)."""
    return make_password(normalize(password))


def verify_password(password: str, verifier: str) -> bool:
    if not verifier:
        make_password(normalize(password))  # same work as a real check: no timing oracle
        return False
    return check_password(normalize(password), verifier)


def needs_rehash(verifier: str) -> bool:
    try:
        return identify_hasher(verifier).must_update(verifier)
    except ValueError:
        return False


# --- generation ----------------------------------------------------------------------------


def _grouped(chars: str) -> str:
    return "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


def generate_password(length: int = GENERATED_LENGTH) -> str:
    """A random password from the CSPRNG, in groups of four: ``Xk7m-Pq2R-…``."""
    return _grouped("".join(secrets.choice(ALPHABET) for _ in range(max(length, GENERATED_LENGTH))))


def _reveal_key() -> bytes:
    base = getattr(settings, "KENGEN_CREDENTIAL_KEY", None) or settings.SECRET_KEY
    return hashlib.sha256(b"kengen-temporary-password:" + base.encode()).digest()


def generate_temporary(length: int = GENERATED_LENGTH) -> str:
    """A temporary password: random from the CSPRNG (``generate_password``), never derived."""
    return generate_password(length)


def _seal_key(token: str) -> bytes:
    return hmac.new(_reveal_key(), b"seal:" + token.encode(), hashlib.sha256).digest()


def seal_temporary(value: str, token: str) -> str:
    """``value`` encrypted (AES-256-GCM) under a key derived from the reveal link's token *and* the
    server-side key, for the one-time reveal (A8.3; security review, issue 10).

    Neither half alone opens it: the token (in the officer's notification, never in a URL that
    reaches an access log) is useless without the sealed copy, which lives only in the database
    and is erased when the link is used, superseded or expires; the server key and the database
    without the token are useless too, because only the token's SHA-256 digest is stored.
    """
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_seal_key(token)).encrypt(nonce, value.encode(), b"kengen-reveal")
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def open_temporary(sealed: str, token: str) -> str:
    """The value ``seal_temporary`` sealed with ``token``; ``ValueError`` for any other token."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return AESGCM(_seal_key(token)).decrypt(raw[:12], raw[12:], b"kengen-reveal").decode()
    except (InvalidTag, ValueError) as exc:
        raise ValueError("this token does not open this sealed value") from exc


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- romaji (for context words) ------------------------------------------------------------

_DIGRAPHS = {
    "キャ": "kya",
    "キュ": "kyu",
    "キョ": "kyo",
    "シャ": "sha",
    "シュ": "shu",
    "ショ": "sho",
    "シェ": "she",
    "チャ": "cha",
    "チュ": "chu",
    "チョ": "cho",
    "チェ": "che",
    "ニャ": "nya",
    "ニュ": "nyu",
    "ニョ": "nyo",
    "ヒャ": "hya",
    "ヒュ": "hyu",
    "ヒョ": "hyo",
    "ミャ": "mya",
    "ミュ": "myu",
    "ミョ": "myo",
    "リャ": "rya",
    "リュ": "ryu",
    "リョ": "ryo",
    "ギャ": "gya",
    "ギュ": "gyu",
    "ギョ": "gyo",
    "ジャ": "ja",
    "ジュ": "ju",
    "ジョ": "jo",
    "ジェ": "je",
    "ヂャ": "ja",
    "ヂュ": "ju",
    "ヂョ": "jo",
    "ビャ": "bya",
    "ビュ": "byu",
    "ビョ": "byo",
    "ピャ": "pya",
    "ピュ": "pyu",
    "ピョ": "pyo",
    "ファ": "fa",
    "フィ": "fi",
    "フェ": "fe",
    "フォ": "fo",
    "ティ": "ti",
    "ディ": "di",
    "トゥ": "tu",
    "ドゥ": "du",
    "ウィ": "wi",
    "ウェ": "we",
    "ウォ": "wo",
    "ヴァ": "va",
    "ヴィ": "vi",
    "ヴェ": "ve",
    "ヴォ": "vo",
}
_MONOGRAPHS = dict(
    zip(
        "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヰヱヲン"
        "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴァィゥェォャュョヮ",
        [
            "a",
            "i",
            "u",
            "e",
            "o",
            "ka",
            "ki",
            "ku",
            "ke",
            "ko",
            "sa",
            "shi",
            "su",
            "se",
            "so",
            "ta",
            "chi",
            "tsu",
            "te",
            "to",
            "na",
            "ni",
            "nu",
            "ne",
            "no",
            "ha",
            "hi",
            "fu",
            "he",
            "ho",
            "ma",
            "mi",
            "mu",
            "me",
            "mo",
            "ya",
            "yu",
            "yo",
            "ra",
            "ri",
            "ru",
            "re",
            "ro",
            "wa",
            "i",
            "e",
            "o",
            "n",
            "ga",
            "gi",
            "gu",
            "ge",
            "go",
            "za",
            "ji",
            "zu",
            "ze",
            "zo",
            "da",
            "ji",
            "zu",
            "de",
            "do",
            "ba",
            "bi",
            "bu",
            "be",
            "bo",
            "pa",
            "pi",
            "pu",
            "pe",
            "po",
            "vu",
            "a",
            "i",
            "u",
            "e",
            "o",
            "ya",
            "yu",
            "yo",
            "wa",
        ],
        strict=True,
    )
)
_KUNREI = (
    ("shi", "si"),
    ("chi", "ti"),
    ("tsu", "tu"),
    ("fu", "hu"),
    ("ji", "zi"),
    ("sh", "sy"),
    ("ch", "ty"),
    ("j", "zy"),
)


def to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def to_hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def kana_to_romaji(kana: str) -> str:
    """Modified Hepburn romaji of a kana reading: サトウ → satou, ジュンコ → junko."""
    text = to_katakana(unicodedata.normalize("NFKC", kana))
    out: list[str] = []
    double = False
    i = 0
    while i < len(text):
        pair, c = text[i : i + 2], text[i]
        if pair in _DIGRAPHS:
            roman, i = _DIGRAPHS[pair], i + 2
        elif c in _MONOGRAPHS:
            roman, i = _MONOGRAPHS[c], i + 1
        elif c == "ッ":
            double, i = True, i + 1
            continue
        elif c == "ー":
            roman = out[-1][-1] if out and out[-1][-1] in "aiueo" else ""
            i += 1
        else:
            roman, i = (c.lower() if c.isascii() and c.isalnum() else ""), i + 1
        if double and roman:
            roman = ("t" if roman.startswith("ch") else roman[0]) + roman
            double = False
        out.append(roman)
    return "".join(out)


def romaji_variants(kana: str) -> set[str]:
    """The spellings people use for a reading: satou, sato, satoh, and Kunrei (si, ti, tu …)."""
    base = kana_to_romaji(kana)
    if not base:
        return set()
    short = base.replace("ou", "o").replace("uu", "u").replace("oo", "o")
    oh = base.replace("ou", "oh").replace("oo", "oh")
    variants = {base, short, oh}
    for v in list(variants):
        kunrei = v
        for hepburn, k in _KUNREI:
            kunrei = kunrei.replace(hepburn, k)
        variants.add(kunrei)
    return {v for v in variants if v}


# --- strength (A8.6) -----------------------------------------------------------------------


@lru_cache(maxsize=1)
def blocklist() -> frozenset[str]:
    """Django's 20,000 common passwords plus the Japanese list shipped with Kengen."""
    import django.contrib.auth

    words: set[str] = set()
    django_list = Path(django.contrib.auth.__file__).parent / "common-passwords.txt.gz"
    with gzip.open(django_list, "rt", encoding="utf-8") as f:
        words.update(line.strip().casefold() for line in f if line.strip())
    for line in JA_LIST.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words.add(normalize(line.strip()).casefold())
    return frozenset(words)


def _core(text: str) -> str:
    """The password without the digits and symbols people pad a word with: ``Kitami2024!`` → ``kitami``."""
    return re.sub(r"^[\W\d_]+|[\W\d_]+$", "", text)


def _is_repetitive(text: str) -> bool:
    if len(set(text)) <= 2:
        return True
    for size in range(1, min(len(text) // 2, 8) + 1):  # a short unit repeated: abcabcabc, pass1pass1
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return True
    lowered = text.casefold()
    return any(lowered in seq or lowered in seq[::-1] for seq in SEQUENCES)


def character_classes(text: str) -> int:
    classes = [
        any(c.islower() for c in text),
        any(c.isupper() for c in text),
        any(c.isdigit() for c in text),
        any(not c.isalnum() for c in text) or any(not c.isascii() for c in text),
    ]
    return sum(classes)


@dataclass(frozen=True)
class Context:
    """Words a password must not contain (A8.6: what others could easily guess)."""

    words: frozenset[str]

    @classmethod
    def of(cls, words: Iterable[str]) -> Context:
        found: set[str] = set()
        for word in words:
            w = normalize(str(word or "")).strip().casefold()
            for part in {w, re.sub(r"[\s　・]+", "", w)}:
                if len(part) >= (4 if part.isascii() else 2):
                    found.add(part)
        return cls(frozenset(found))


def check_strength(
    password: str,
    *,
    min_length: int = 12,
    min_character_classes: int = 0,
    context: Context | None = None,
    field: str = "password",
) -> None:
    """Refuse a password that others could easily guess (A8.6), saying why — never echoing it."""
    text = normalize(password)
    if not text.strip():
        raise RuleViolation(_("Enter a password."), clause="A8.6", field=field)
    if CONTROL.search(text):
        raise RuleViolation(
            _("The password contains control characters that cannot be typed on a terminal."),
            clause="A8.6",
            field=field,
        )
    if len(text) < min_length:
        raise RuleViolation(
            _(
                "The password is too short: use at least %(min)d characters (it has %(n)d). "
                "A phrase of several words is easy to remember and hard to guess."
            )
            % {"min": min_length, "n": len(text)},
            clause="A8.6",
            field=field,
        )
    if len(text) > MAX_LENGTH:
        raise RuleViolation(
            _("The password is too long: use at most %(max)d characters.") % {"max": MAX_LENGTH},
            clause="A8.6",
            field=field,
        )
    folded = text.casefold()
    core = _core(folded)
    candidates = {folded, folded.replace(" ", ""), core, core.translate(LEET), folded.translate(LEET)}
    if candidates & blocklist():
        raise RuleViolation(
            _(
                "This password is on the list of commonly used passwords, so it is easily guessed. "
                "Choose another."
            ),
            clause="A8.6",
            field=field,
        )
    if _is_repetitive(folded) or (core and _is_repetitive(core) and len(core) >= len(folded) - 4):
        raise RuleViolation(
            _("The password is a repeated or sequential run of characters, so it is easily guessed."),
            clause="A8.6",
            field=field,
        )
    if context is not None:
        squeezed = {folded, folded.replace(" ", ""), folded.translate(LEET), to_katakana(folded)}
        for word in context.words:
            if any(word in c or to_katakana(word) in c for c in squeezed):
                raise RuleViolation(
                    _(
                        "The password must not contain your user ID, your name (in kanji, kana or "
                        "romaji), the city's name or the system's name: others could guess it."
                    ),
                    clause="A8.6",
                    field=field,
                )
    if min_character_classes and character_classes(text) < min_character_classes:
        raise RuleViolation(
            _(
                "This system requires passwords that mix at least %(n)d of: lower case, upper case, "
                "digits, other characters."
            )
            % {"n": min_character_classes},
            clause="A8.6",
            field=field,
        )
